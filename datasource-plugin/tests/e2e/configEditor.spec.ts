import { expect, test } from '@grafana/plugin-e2e';

/**
 * "Save & test" in a real Grafana (GRAFANA_URL, see playwright.config.ts). The exporter's answer is stubbed at the
 * data source's proxy route, so these run without a ledger.
 */

const statusPath = (proxy: string) => `${proxy}/tokenledger/api/v1/status`;

test('"Save & test" reports the ledger\'s time span', async ({
  createDataSourceConfigPage,
  readProvisionedDataSource,
  selectors,
  page,
}) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  const configPage = await createDataSourceConfigPage({ type: ds.type });
  await page.getByLabel('Exporter URL').fill('http://tokenledger:9464');
  await page.getByPlaceholder('API token').fill('e2e-token');
  const path = statusPath(
    selectors.apis.DataSource.proxy(configPage.datasource.uid, configPage.datasource.id.toString())
  );
  const status = {
    status: 'ok',
    records: 3,
    firstRecord: '2026-11-01T10:00:00.000Z',
    lastRecord: '2026-11-02T11:30:00.000Z',
    scope: null,
  };
  await page.route(path, (route) => route.fulfill({ status: 200, json: status }));
  await expect(configPage.saveAndTest({ path })).toBeOK();
  await expect(configPage).toHaveAlert('success', {
    hasText: 'Connected to TokenLedger: 3 records from 2026-11-01 10:00 UTC to 2026-11-02 11:30 UTC.',
  });
});

test('"Save & test" says when the exporter refuses the token', async ({
  createDataSourceConfigPage,
  readProvisionedDataSource,
  selectors,
  page,
}) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  const configPage = await createDataSourceConfigPage({ type: ds.type });
  await page.getByLabel('Exporter URL').fill('http://tokenledger:9464');
  const path = statusPath(
    selectors.apis.DataSource.proxy(configPage.datasource.uid, configPage.datasource.id.toString())
  );
  await page.route(path, (route) =>
    route.fulfill({ status: 401, json: { error: 'missing or invalid API token (send Authorization: Bearer <token>)' } })
  );
  await expect(configPage.saveAndTest({ path })).not.toBeOK();
  await expect(configPage).toHaveAlert('error', { hasText: 'The exporter refused the API token (401)' });
});
