import { expect, test } from '@grafana/plugin-e2e';
import { breakdown } from '../../src/__fixtures__/responses';

/**
 * The query editor and a stock Table panel in a real Grafana (GRAFANA_URL, see playwright.config.ts), on the
 * provisioned data source; the exporter's breakdown is stubbed at the proxy route.
 */

test('a breakdown shows in a stock table with display names, and "Everyone else" for the rest', async ({
  panelEditPage,
  readProvisionedDataSource,
  page,
}) => {
  await page.route('**/tokenledger/api/v1/breakdown?*', (route) => route.fulfill({ status: 200, json: breakdown }));
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  await panelEditPage.datasource.set(ds.name);
  await panelEditPage.setVisualization('Table');
  const row = panelEditPage.getQueryEditorRow('A');
  await row.getByLabel('Breakdown table').check({ force: true });
  await expect(
    panelEditPage.refreshPanel({ waitForResponsePredicateCallback: /\/tokenledger\/api\/v1\/breakdown\?/ })
  ).toBeOK();
  await expect(panelEditPage.panel.fieldNames).toContainText(['User', 'Model', 'Requests', 'Cost', 'Charge', 'Share']);
  await expect(panelEditPage.panel.data).toContainText(['alice@example.com', 'Everyone else']);
});

test("the API's error message shows on the panel", async ({ panelEditPage, readProvisionedDataSource, page }) => {
  await page.route('**/tokenledger/api/v1/timeseries?*', (route) =>
    route.fulfill({ status: 400, json: { error: 'step: must be at least 1s', parameter: 'step' } })
  );
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  await panelEditPage.datasource.set(ds.name);
  await panelEditPage.getQueryEditorRow('A').getByLabel('Time series').check({ force: true });
  await expect(
    panelEditPage.refreshPanel({ waitForResponsePredicateCallback: /\/tokenledger\/api\/v1\/timeseries\?/ })
  ).not.toBeOK();
  // The panel's error icon carries the message as its tooltip.
  await panelEditPage.panel.getErrorIcon().hover();
  await expect(page.getByRole('tooltip')).toContainText('step: must be at least 1s');
});
