import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, CheckAnswer, ESTIMATE_USD, logSpend, writeServeConfig } from './enforcementHarness';
import { requireBuiltCli, ServeProcess, tempDir, waitFor } from './helpers';
import { RunningPostgres, startPostgres } from './postgres';

// Enforcement on the shared PostgreSQL ledger: two `serve` replicas (built CLI, real HTTP) deciding for one
// budget under a burst of concurrent checks, and the fail policies while the ledger's server is down.
//
// The bound under test (docs/enforcement.md, "How far a budget can be overshot"): reservations are held in
// each replica's memory, committed spend is shared through the ledger. With N replicas that each see room R
// when a burst starts, each lets through at most R of estimates, so the spend that gets through is at most
// spent + N × R (the overshoot beyond the limit at most (N - 1) × R), while estimates are upper bounds of
// what requests cost. No replica refuses a request whose estimate fits the room it sees.

const REPLICAS = 2;
const LIMIT_USD = 1;
const SEED_USD = 0.98;
const ROOM_USD = LIMIT_USD - SEED_USD;
const CONCURRENT = 200;

function budgets(extra = ''): string[] {
  return [`{ scope: team, subject: eng, period: monthly, limit_usd: "${LIMIT_USD}", enforce: block${extra} }`];
}

function metricReaches(
  serve: ServeProcess,
  name: string,
  labels: Record<string, string>,
  value: number
): Promise<true> {
  return waitFor(
    `${name} ${JSON.stringify(labels)} to be ${value}`,
    async () => (Math.abs((await serve.metricSum(name, labels)) - value) < 1e-9 ? true : undefined),
    30_000
  );
}

/** Waits until a replica's decisions work from `usd` of spend: the ledger has it and the decision state too. */
async function decidesFrom(serve: ServeProcess, usd: number): Promise<void> {
  await metricReaches(serve, 'tokenledger_budget_spent_usd', { subject: 'eng' }, usd);
  await metricReaches(serve, 'tokenledger_enforcement_drift_usd', { subject: 'eng' }, 0);
}

describe('enforcement on a shared PostgreSQL ledger', () => {
  let pg: RunningPostgres;
  let dir: string;
  const serves: ServeProcess[] = [];

  beforeAll(async () => {
    requireBuiltCli();
    pg = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  });
  beforeEach(() => {
    dir = tempDir('tl-enforce-pg-');
  });
  afterEach(async () => {
    for (const s of serves.splice(0)) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function replica(
    url: string,
    node: string,
    budgetLines: string[],
    enforcement?: string
  ): Promise<{ serve: ServeProcess; log: string }> {
    const log = join(dir, `gw-${node}.log`);
    writeFileSync(log, '');
    const config = writeServeConfig(dir, `${node}.yaml`, {
      ledger: url,
      node,
      logFile: `gw-${node}.log`,
      budgets: budgetLines,
      enforcement,
    });
    const serve = await ServeProcess.start(config);
    serves.push(serve);
    return { serve, log };
  }

  it(`keeps ${CONCURRENT} concurrent checks across ${REPLICAS} replicas within the documented bound, refusing none that fits`, async () => {
    const url = await pg.createDatabase('burst');
    const a = await replica(url, 'a', budgets());
    const b = await replica(url, 'b', budgets());
    logSpend(a.log, 'seed', SEED_USD);
    await decidesFrom(a.serve, SEED_USD);
    await decidesFrom(b.serve, SEED_USD);

    const replicas = [a, b];
    const answers: { replica: number; id: string; answer: CheckAnswer }[] = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const replica = i % REPLICAS;
        const id = `burst-${i}`;
        return { replica, id, answer: await check(replicas[replica]!.serve.baseUrl, id) };
      })
    );
    for (const { answer } of answers) {
      expect([200, 429]).toContain(answer.status);
      if (answer.status === 429) expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const allowed = answers.filter((x) => x.answer.decision === 'allow');
    const fits = Math.floor(ROOM_USD / ESTIMATE_USD + 1e-9); // estimates that fit the room each replica sees
    // No request was refused while the budget plainly had room: each replica let through all that fit.
    for (let r = 0; r < REPLICAS; r++)
      expect(allowed.filter((x) => x.replica === r).length).toBeGreaterThanOrEqual(fits);
    // The bound: at most N × R of estimates got through.
    expect(allowed.length * ESTIMATE_USD).toBeLessThanOrEqual(REPLICAS * ROOM_USD + 1e-9);

    // The gateway runs what was allowed; each request costs its whole estimate (the worst case) and its usage
    // record reaches the replica that allowed it, settling the reservation there.
    for (const x of allowed) logSpend(replicas[x.replica]!.log, x.id, ESTIMATE_USD);
    const spent = SEED_USD + allowed.length * ESTIMATE_USD;
    for (const r of replicas) {
      await metricReaches(r.serve, 'tokenledger_enforcement_open_reservations', { subject: 'eng' }, 0);
      await decidesFrom(r.serve, spent);
    }
    // The ledger's spend beyond the limit stays within (N - 1) × R.
    expect(spent - LIMIT_USD).toBeLessThanOrEqual((REPLICAS - 1) * ROOM_USD + 1e-9);
    // Both replicas now see the budget spent, whoever committed what.
    for (const r of replicas) expect((await check(r.serve.baseUrl, `after-${r.serve.baseUrl}`)).status).toBe(429);
  }, 180_000);

  it('fails closed (503) or open per budget while the ledger is down, and decides again when it is back', async () => {
    const url = await pg.createDatabase('failpolicy');
    const { serve } = await replica(url, 'solo', [
      ...budgets(', fail: closed'),
      '{ scope: team, subject: ops, period: monthly, limit_usd: "1", enforce: block, fail: open }',
    ]);
    const ops = { 'x-team-id': 'ops' };
    expect((await check(serve.baseUrl, 'e1')).status).toBe(200);
    expect((await check(serve.baseUrl, 'o1', ops)).status).toBe(200);
    await pg.kill();
    try {
      const closed = await waitFor('a fail-closed answer', async () => {
        const a = await check(serve.baseUrl, 'e2');
        return a.status === 503 ? a : undefined;
      });
      expect(closed.decision).toBe('block');
      expect(closed.reason).toMatch(/ledger cannot be reached.*team\/eng\/monthly fails closed/);
      expect(closed.headers.get('retry-after')).toBe('5');
      const open = await check(serve.baseUrl, 'o2', ops);
      expect(open.status).toBe(200);
      expect(open.headers.get('x-tokenledger-warning')).toMatch(/allowed \(fail open\)/);
    } finally {
      await pg.restart();
    }
    await waitFor(
      'decisions from the ledger again',
      async () => ((await check(serve.baseUrl, 'e3')).status === 200 ? true : undefined),
      60_000
    );
  }, 180_000);

  it('fails by policy when the state is older than stale_after', async () => {
    const url = await pg.createDatabase('stale');
    // A staleness bound shorter than the refresh interval (2 s): between reads the state is stale.
    const { serve } = await replica(url, 'stale', budgets(', fail: closed'), 'enforcement:\n  stale_after: 500ms');
    const answer = await waitFor('a stale answer', async () => {
      const a = await check(serve.baseUrl, `s-${Date.now()}`);
      return a.status === 503 ? a : undefined;
    });
    expect(answer.reason).toMatch(/last read .* ago \(stale_after 0.5 s\).*fails closed/);
  }, 120_000);
});
