import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COLUMNS_BEFORE_PRICING_INPUTS } from '../src/ledger/schema';
import { insertUsageDirectly } from './duckdbFile';
import { lines, requireBuiltCli, ServeProcess, sumSamples, tempDir, waitFor } from './helpers';
import { writeServeConfig } from './serveConfig';

/** Stored usage records, spread over January 2025: enough that a 30-day breakdown by user takes a while. */
const RECORDS = 400_000;
const BREAKDOWN_CLIENTS = 50;
const SCRAPERS = 10;
const LOAD_MS = 12_000;
/**
 * How long lines may wait for their commit under that load, as serve logs it (from their read to the end of
 * their commit), and from their write to their count on /metrics. Generous for a loaded 2-core CI machine;
 * before the fix, queries queued on libuv's thread pool held commits back for tens of seconds at this load.
 */
const COMMIT_WAIT_BOUND_MS = 8_000;
const VISIBLE_BOUND_MS = 15_000;

async function fillLedger(path: string): Promise<void> {
  await insertUsageDirectly(
    path,
    // The columns named: those of every schema version (the rest take their defaults).
    `INSERT INTO usage (${COLUMNS_BEFORE_PRICING_INPUTS.map((c) => c.name).join(', ')})
        SELECT 'load:' || i, TIMESTAMP '2025-01-01 00:00:00' + to_milliseconds(i * 6000), 1.5,
          'user-' || (i % 500) || '@example.com', 'key-' || (i % 1000), NULL, 'team-' || (i % 20), 'standard',
          ['gpt-4o', 'gpt-4o-mini', 'claude-haiku-4-5'][(i % 3) + 1], 'openai', 'success', NULL,
          (i * 31) % 4000, (i * 17) % 1000, 0, (i * 13) % 1000, 0, (i % 1000) * 1000000, (i % 1000) * 1000000, 'test', true, 1, 'load'
        FROM range(${RECORDS}) t(i)`
  );
}

describe('tokenledger serve under API load', () => {
  let serve: ServeProcess | undefined;
  beforeAll(() => requireBuiltCli());
  afterEach(async () => {
    await serve?.stop('SIGKILL');
    serve = undefined;
  });

  it('commits appended lines within a bound while 50 clients ask for 30-day breakdowns and 10 scrape', async () => {
    const dir = tempDir();
    const log = join(dir, 'app.log');
    writeFileSync(log, '');
    await fillLedger(join(dir, 'ledger.duckdb'));
    serve = await ServeProcess.start(writeServeConfig(dir, log), undefined, { TOKENLEDGER_LOG_LEVEL: 'debug' });
    const base = serve.baseUrl;

    const until = Date.now() + LOAD_MS;
    const statuses = new Map<number, number>();
    const loop = async (url: string) => {
      while (Date.now() < until) {
        const res = await fetch(url).catch(() => undefined);
        await res?.arrayBuffer();
        statuses.set(res?.status ?? 0, (statuses.get(res?.status ?? 0) ?? 0) + 1);
      }
    };
    const load = Promise.all([
      ...Array.from({ length: BREAKDOWN_CLIENTS }, () =>
        loop(`${base}/api/v1/breakdown?from=2025-01-01T00:00:00Z&to=2025-01-31T00:00:00Z&groupBy=user`)
      ),
      ...Array.from({ length: SCRAPERS }, () => loop(`${base}/metrics`)),
    ]);
    // While the load runs: ten lines every half second, and when each group shows on /metrics.
    const writtenAt: number[] = [];
    const visibleAt: number[] = [];
    // Lines are written only while the load runs, so the watcher's last look counts every group written.
    const writer = setInterval(() => {
      if (Date.now() >= until) return;
      appendFileSync(log, lines(writtenAt.length * 10, writtenAt.length * 10 + 10));
      writtenAt.push(Date.now());
    }, 500);
    const watch = (async () => {
      while (Date.now() < until || visibleAt.length < writtenAt.length) {
        // A scrape may fail under this load (a kept-alive connection the server closed as it was reused, as
        // undici reports it): the next one tells the same, so it is tried again rather than ending the test.
        const text = await serve!.metrics().catch(() => undefined);
        const committed = text === undefined ? 0 : sumSamples(text, 'tokenledger_lines_read_total');
        while (visibleAt.length < Math.min(writtenAt.length, Math.floor(committed / 10))) visibleAt.push(Date.now());
        if (Date.now() > until + VISIBLE_BOUND_MS) break;
      }
    })();
    await load;
    clearInterval(writer);
    await watch;

    expect(writtenAt.length).toBeGreaterThan(10);
    expect(visibleAt).toHaveLength(writtenAt.length);
    const slowest = Math.max(...visibleAt.map((t, i) => t - writtenAt[i]!));
    expect(slowest).toBeLessThan(VISIBLE_BOUND_MS);
    const commitWaits = [...serve.log.matchAll(/its first lines waited (\d+) ms/g)].map((m) => Number(m[1]));
    expect(commitWaits.length).toBeGreaterThan(0);
    expect(Math.max(...commitWaits)).toBeLessThan(COMMIT_WAIT_BOUND_MS);
    // The load was real: breakdowns were answered (or refused with 503 when too many waited), and scrapes too.
    expect(statuses.get(200)).toBeGreaterThan(SCRAPERS);
    expect([...statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    // Once everything is committed, the lag is back to 0.
    await waitFor('lag 0', async () =>
      sumSamples(await serve!.metrics(), 'tokenledger_ingest_lag_seconds') === 0 ? true : undefined
    );
  }, 180_000);
});
