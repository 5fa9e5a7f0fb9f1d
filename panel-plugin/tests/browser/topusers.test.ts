/**
 * @jest-environment node
 */
/**
 * The built panel (dist/module.js) in a real browser: Debian's headless Chromium renders the harness page in
 * light and dark theme at a dashboard size and a small size. Screenshots are saved under test-results/ and
 * compared with the baselines in tests/__screenshots__/; the page must log no errors.
 */
import type { BrowserContext, Page } from 'playwright-core';

import {
  assertPrerequisites,
  buildHarness,
  compareWithBaseline,
  launchChromium,
  startServer,
  type HarnessServer,
  type LaunchedBrowser,
} from './support';

// Building the harness and starting Chromium take a while on a 2-core machine; nothing here measures time.
jest.setTimeout(180_000);

/** Share of pixels allowed to differ: anti-aliasing noise, far below any visible change to the panel. */
const TOLERANCE = 0.005;
const SIZES = [
  { size: 'dashboard', width: 640, height: 420 },
  { size: 'small', width: 320, height: 240 },
];
const SCREENSHOTS = ['light', 'dark'].flatMap((theme) => SIZES.map((size) => ({ theme, ...size })));

interface OpenPage {
  page: Page;
  errors: string[];
}

describe('top users panel in Chromium', () => {
  let server: HarnessServer | undefined;
  let chromium: LaunchedBrowser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    assertPrerequisites();
    await buildHarness();
    server = await startServer();
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await chromium?.close();
    await server?.close();
  });

  async function open(query: Record<string, string | number>): Promise<OpenPage> {
    const width = Number(query.width ?? 640);
    const height = Number(query.height ?? 420);
    // The page is the panel plus the 8px canvas margin around it, so screenshots hold nothing else.
    const context = await chromium!.browser.newContext({
      viewport: { width: width + 16, height: height + 16 },
      deviceScaleFactor: 1,
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') {
        errors.push(`console: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
    page.on('response', (response) => {
      if (response.status() >= 400) {
        errors.push(`HTTP ${response.status()}: ${response.url()}`);
      }
    });
    const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
    await page.goto(`${server!.url}/?${search}`);
    await page.waitForSelector('body[data-harness]', { state: 'attached' });
    expect(await page.getAttribute('body', 'data-harness')).toBe('ready');
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    return { page, errors };
  }

  it.each(SCREENSHOTS)(
    '$theme theme at $size size ($width x $height) matches its baseline',
    async ({ theme, size, width, height }) => {
      const { page, errors } = await open({ scenario: 'chargeback', theme, width, height });
      await page.getByTestId('topusers-row').first().waitFor();
      expect(await page.getByTestId('topusers-row').count()).toBe(6);
      const comparison = compareWithBaseline(`topusers-${theme}-${size}`, await page.locator('#panel').screenshot());
      expect(errors).toEqual([]);
      expect({
        ...comparison,
        mismatch: comparison.mismatch <= TOLERANCE ? 'within tolerance' : comparison.mismatch,
      }).toEqual({
        ...comparison,
        mismatch: 'within tolerance',
      });
    }
  );

  it('ranks the users of the chargeback sample and shows their budget burn', async () => {
    const { page, errors } = await open({ scenario: 'chargeback', theme: 'dark' });
    const rows = page.getByTestId('topusers-row');
    expect(await rows.first().textContent()).toContain('maria.chen');
    expect(await page.getByRole('meter').first().getAttribute('aria-valuenow')).toBe('92');
    expect(await page.getByTestId('topusers-sparkline').count()).toBe(6);
    expect(errors).toEqual([]);
  });

  it('drills down from the keyboard: Tab from row to row, Enter sets var-user', async () => {
    const { page, errors } = await open({ scenario: 'chargeback', theme: 'dark' });
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    // Tab past whatever the panel chrome makes focusable before the list, to the first row.
    for (let presses = 0; presses < 10 && !(await focused()).startsWith('maria.chen'); presses++) {
      await page.keyboard.press('Tab');
    }
    expect(await focused()).toMatch(/^maria\.chen: /);
    await page.keyboard.press('Tab');
    expect(await focused()).toMatch(/^j\.okafor: /);
    await page.keyboard.press('Enter');
    // Read the page's own location, once it has var-user (bounded): page.url() follows a history update only
    // when the browser's event about it reaches Playwright, which can come after the key press resolves.
    const varUser = () => page.evaluate(() => new URL(location.href).searchParams.get('var-user'));
    await page
      .waitForFunction(() => new URL(location.href).searchParams.has('var-user'), undefined, { timeout: 10_000 })
      .catch(() => undefined);
    expect(await varUser()).toBe('j.okafor');
    expect(errors).toEqual([]);
  });

  it('renders Prometheus topk series and the empty state without errors', async () => {
    const prometheus = await open({ scenario: 'prometheus', theme: 'light' });
    expect(await prometheus.page.getByTestId('topusers-row').count()).toBe(5);
    expect(prometheus.errors).toEqual([]);

    const empty = await open({ scenario: 'empty', theme: 'light' });
    expect(await empty.page.getByRole('status').textContent()).toContain('No data');
    expect(empty.errors).toEqual([]);
  });
});
