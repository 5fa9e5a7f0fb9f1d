import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '../src/auth/apiTokens';
import { ledgerSpecOf, openLedger } from '../src/ledger/open';
import type { UsageTotals } from '../src/ledger/queries';
import { CLI, lines, requireBuiltCli, runCli, ServeProcess, TEST_PRICES, tempDir, waitFor } from './helpers';
import { writeServeConfig } from './serveConfig';

// `tokenledger reprice` as finance runs it after a price correction: a DuckDB ledger filled by `ingest` with
// TEST_PRICES, then gpt-4o's output rate corrected from 10.00 to 20.00 USD per million tokens for part of the
// time, re-priced directly, and through a running serve (which holds the file).

beforeAll(requireBuiltCli);

const CORRECTED_PRICES = TEST_PRICES.replace('output: 10.00', 'output: 20.00');
/** 10 USD per million output tokens more, in pico-USD per token. */
const EXTRA_PUSD_PER_OUTPUT_TOKEN = 10_000_000n;
/** The test lines start at 2025-01-01T10:00:00Z, two a second: lines 0-29 in the first 15 seconds. */
const FROM = '2025-01-01T10:00:00Z';
const TO = '2025-01-01T10:00:15Z';

async function byModel(db: string, fromMs: number, toMs: number): Promise<Map<string, UsageTotals>> {
  const ledger = await openLedger(ledgerSpecOf(db), { node: hostname(), readOnly: true });
  try {
    const r = await ledger.breakdown({ fromMs, toMs, groupBy: ['model'], filters: {}, sort: 'cost', limit: undefined });
    return new Map(r.rows.map((row) => [row.dims.model!, row]));
  } finally {
    await ledger.close();
  }
}

const usd = (pusd: bigint) => `${pusd / 1_000_000_000_000n}.${String(pusd % 1_000_000_000_000n).padStart(12, '0')}`;

/** The table line of a model: requests, re-priced, old and new cost, difference. */
function modelLine(model: string, requests: number, repriced: number, oldPusd: bigint, newPusd: bigint): RegExp {
  const cells = [model, String(requests), String(repriced), usd(oldPusd), usd(newPusd), usd(newPusd - oldPusd)];
  return new RegExp(`^${cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(' +')}$`, 'm');
}

/** What the corrected book must make of the range: per model, the old totals and the new ones worked out here. */
async function expectedRun(db: string) {
  const inRange = await byModel(db, Date.parse(FROM), Date.parse(TO));
  const gpt4o = inRange.get('gpt-4o')!;
  return {
    inRange,
    newGpt4o: gpt4o.costPusd + BigInt(gpt4o.outputTokens) * EXTRA_PUSD_PER_OUTPUT_TOKEN,
    extra: BigInt(gpt4o.outputTokens) * EXTRA_PUSD_PER_OUTPUT_TOKEN,
  };
}

describe('tokenledger reprice', () => {
  it('re-prices a range with the corrected book, prints old and new totals per model, and records the run', async () => {
    const dir = tempDir();
    const db = join(dir, 'ledger.duckdb');
    writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
    writeFileSync(join(dir, 'corrected.yaml'), CORRECTED_PRICES);
    writeFileSync(join(dir, 'gw.log'), lines(0, 60));
    expect(runCli(['ingest', '--db', db, '--prices', join(dir, 'prices.yaml'), join(dir, 'gw.log')]).status).toBe(0);
    const { inRange, newGpt4o, extra } = await expectedRun(db);
    const everBefore = await byModel(db, 0, Date.parse('2100-01-01'));

    const r = runCli(['reprice', '--db', db, '--prices', join(dir, 'corrected.yaml'), '--from', FROM, '--to', TO]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('reprice 2025-01-01T10:00:00.000Z to 2025-01-01T10:00:15.000Z with price book test');
    const g = inRange.get('gpt-4o')!;
    expect(r.stdout).toMatch(modelLine('gpt-4o', g.requests, g.requests, g.costPusd, newGpt4o));
    for (const model of ['gpt-4o-mini', 'claude-haiku-4-5']) {
      const m = inRange.get(model)!;
      expect(r.stdout).toMatch(modelLine(model, m.requests, 0, m.costPusd, m.costPusd));
    }
    expect(r.stdout).toMatch(/^recorded as the run of \S+ by node /m);

    // The ledger says the same: only gpt-4o in the range changed, by exactly its extra output cost.
    const after = await byModel(db, 0, Date.parse('2100-01-01'));
    expect(after.get('gpt-4o')!.costPusd).toBe(everBefore.get('gpt-4o')!.costPusd + extra);
    expect(after.get('gpt-4o-mini')!.costPusd).toBe(everBefore.get('gpt-4o-mini')!.costPusd);
    const ledger = await openLedger(ledgerSpecOf(db), { node: hostname(), readOnly: true });
    try {
      const runs = await ledger.repriceRuns();
      expect(runs).toHaveLength(1);
      expect(runs[0]!.models.find((m) => m.model === 'gpt-4o')).toMatchObject({
        requests: g.requests,
        repriced: g.requests,
        oldCostPusd: g.costPusd,
        newCostPusd: newGpt4o,
      });
    } finally {
      await ledger.close();
    }
  });

  it("goes through a running serve, which holds the file: a direct write is refused, saying so; serve's counters follow", async () => {
    const dir = tempDir();
    const admin = 'reprice-admin-token-0123456789';
    const config = writeServeConfig(
      dir,
      join(dir, 'none', '*.log'),
      `auth:\n  tokens:\n    - { name: finance, sha256: ${hashToken(admin)}, role: admin }\n`
    );
    const db = join(dir, 'ledger.duckdb');
    writeFileSync(join(dir, 'gw.log'), lines(0, 60));
    expect(runCli(['ingest', '--db', db, '--prices', join(dir, 'prices.yaml'), join(dir, 'gw.log')]).status).toBe(0);
    const { extra } = await expectedRun(db);
    const before = await byModel(db, 0, Date.parse('2100-01-01'));
    const total = [...before.values()].reduce((n, t) => n + t.costPusd, 0n);
    // serve starts with the corrected book.
    writeFileSync(join(dir, 'prices.yaml'), CORRECTED_PRICES);
    writeFileSync(join(dir, 'corrected.yaml'), CORRECTED_PRICES);
    const serve = await ServeProcess.start(config);
    try {
      const costCounter = async () => serve.metricSum('tokenledger_cost_usd_total');
      expect(await costCounter()).toBeCloseTo(Number(total) / 1e12, 9);

      const direct = runCli([
        'reprice',
        '--db',
        db,
        '--prices',
        join(dir, 'corrected.yaml'),
        '--from',
        FROM,
        '--to',
        TO,
      ]);
      expect(direct.status).toBe(1);
      expect(direct.stderr).toMatch(/a running `tokenledger serve` holds this ledger; re-price through it.*--serve/);

      const noToken = runCli(['reprice', '--serve', serve.baseUrl, '--from', FROM, '--to', TO]);
      expect(noToken.status).toBe(2);
      expect(noToken.stderr).toMatch(/--serve needs an admin API token in \$TOKENLEDGER_API_TOKEN/);

      // The token goes in the child's environment (jest's process.env is not the one a child inherits).
      const through = spawnSync(
        process.execPath,
        [CLI, 'reprice', '--serve', serve.baseUrl, '--from', FROM, '--to', TO],
        {
          encoding: 'utf8',
          env: { ...process.env, TOKENLEDGER_API_TOKEN: admin },
          timeout: 120_000,
        }
      );
      expect(through.stderr).toBe('');
      expect(through.status).toBe(0);
      expect(through.stdout).toMatch(/^total +\d+ +\d+ +[\d.]+ +[\d.]+ +[\d.]+$/m);
      // Polled: the scrape connection kept alive from before may have been closed while the CLI ran.
      const raised = Number(total + extra) / 1e12;
      await waitFor('the cost counter to follow', async () =>
        Math.abs((await costCounter()) - raised) < 1e-9 ? true : undefined
      );
      expect(serve.log).toMatch(
        /re-priced 2025-01-01T10:00:00.000Z to 2025-01-01T10:00:15.000Z with price book test: 10 of 30 record\(s\) changed/
      );
    } finally {
      await serve.stop();
    }
    const after = await byModel(db, 0, Date.parse('2100-01-01'));
    expect(after.get('gpt-4o')!.costPusd).toBe(before.get('gpt-4o')!.costPusd + extra);
  });
});
