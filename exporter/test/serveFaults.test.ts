import { hostname } from 'node:os';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ledgerTotals, lines, requireBuiltCli, runCli, ServeProcess, tempDir, waitFor } from './helpers';
import { COLUMNS_BEFORE_PRICING_INPUTS } from '../src/ledger/schema';
import { insertUsageDirectly } from './duckdbFile';
import { writeServeConfig } from './serveConfig';

/** `serve` meeting faults of its surroundings: a broken config edit, a ledger it cannot write for a while. */
describe('tokenledger serve under faults', () => {
  let dir: string;
  let serve: ServeProcess | undefined;
  beforeAll(() => requireBuiltCli());
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await serve?.stop('SIGKILL');
    serve = undefined;
  });

  const requestsSeen = (n: number) =>
    waitFor(`${n} requests in /metrics`, async () =>
      (await serve!.metricSum('tokenledger_requests_total')) === n ? true : undefined
    );

  it('logs a failed reload once when SIGHUP and the file watcher both see the same broken edit', async () => {
    const config = writeServeConfig(dir, join(dir, 'app.log'));
    writeFileSync(join(dir, 'app.log'), lines(0, 10));
    serve = await ServeProcess.start(config);
    await requestsSeen(10);
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, `${good}budgets: [ { scope: user\n`);
    process.kill(serve.child.pid!, 'SIGHUP');
    const failures = () => serve!.log.split('\n').filter((l) => /reload .*failed/.test(l));
    await waitFor('the failed reload in the log', () => (failures().length ? true : undefined));
    // The watcher polls the file every second: three seconds give it time to fire as well.
    await new Promise((r) => setTimeout(r, 3000));
    expect(failures()).toHaveLength(1);
    // Fixed, the next reload succeeds and says so; a new breakage is logged again.
    writeFileSync(config, good);
    process.kill(serve.child.pid!, 'SIGHUP');
    await waitFor('the successful reload', () => (/reloaded /.test(serve!.log) ? true : undefined));
    writeFileSync(config, `${good}budgets: [ { scope: team\n`);
    await waitFor('the second failure in the log', () => (failures().length === 2 ? true : undefined));
  });

  it('retries a commit that fails, tells /readyz and the lag, and resumes by itself once the fault is gone', async () => {
    const config = writeServeConfig(dir, join(dir, 'app.log'));
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 100));
    serve = await ServeProcess.start(config);
    await requestsSeen(100);
    // The fault: no spool file can be written (a file in place of the spool's directory), as on a full disk:
    // the rows wait in memory, and the commit fails before its transaction, like ENOSPC there. Real and
    // portable: no root, no small file system.
    const spool = join(dir, 'ledger.duckdb.spool');
    rmSync(spool, { recursive: true, force: true });
    writeFileSync(spool, 'in the way');
    appendFileSync(log, lines(100, 200));
    const readyz = async () => {
      const res = await fetch(`${serve!.baseUrl}/readyz`);
      return { status: res.status, body: (await res.json()) as { reason?: string } };
    };
    const failing = await waitFor('/readyz to report failing commits', async () => {
      const r = await readyz();
      return r.status === 503 ? r : undefined;
    });
    // A fixed sentence: no error text (which can quote ledger data) on an unauthenticated endpoint.
    expect(failing.body.reason).toMatch(/^ledger commits failing since \S+ \(retried; see the log\)$/);
    // The lines read and not committed count as lag, though nothing is left unread in the file.
    await waitFor('the lag to show the uncommitted lines', async () =>
      (await serve!.metricSum('tokenledger_ingest_lag_seconds', { source: 'gw' })) >= 2 ? true : undefined
    );
    expect(await serve.metricSum('tokenledger_ingest_backlog_bytes', { source: 'gw' })).toBe(0);
    expect(await serve.metricSum('tokenledger_requests_total')).toBe(100);
    // Several retries later, still one line in the log for the whole outage.
    const failures = () => serve!.log.split('\n').filter((l) => /commits are failing/.test(l));
    expect(failures()).toHaveLength(1);
    expect(failures()[0]).toContain('EEXIST');

    rmSync(spool);
    await requestsSeen(200);
    await waitFor('/readyz ready again', async () => ((await readyz()).status === 200 ? true : undefined));
    expect(serve.log).toMatch(/ledger commits succeed again after \d+\.\d s/);
    expect(await serve.metricSum('tokenledger_ingest_lag_seconds', { source: 'gw' })).toBe(0);
    await serve.stop();
    // Nothing lost, nothing twice: the same ledger as one clean ingest of the same lines.
    writeFileSync(join(dir, 'clean.log'), lines(0, 200));
    const clean = runCli([
      'ingest',
      '--db',
      join(dir, 'clean.duckdb'),
      '--prices',
      join(dir, 'prices.yaml'),
      join(dir, 'clean.log'),
    ]);
    expect(clean.status).toBe(0);
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(await ledgerTotals(join(dir, 'clean.duckdb')));
  });

  it('starts, seeds its metrics and serves on a ledger holding a record 9e12 s after 1970', async () => {
    const config = writeServeConfig(dir, join(dir, 'app.log'));
    // Written straight into the ledger, as an older tokenledger could: beyond what a JavaScript Date holds.
    await insertUsageDirectly(
      join(dir, 'ledger.duckdb'),
      `INSERT INTO usage (${COLUMNS_BEFORE_PRICING_INPUTS.map((c) => c.name).join(', ')}) VALUES ('litellm:far', make_timestamp(9000000000000000000), 1.5, 'faruser', 'k', NULL, 't', 'standard', 'gpt-4o',
        'openai', 'success', NULL, 10, 0, 0, 5, 0, 1000, 1000, 'test', true, 1, '${hostname()}')`
    );
    writeFileSync(join(dir, 'app.log'), lines(0, 20));
    serve = await ServeProcess.start(config);
    await requestsSeen(21);
    expect(await serve.metricSum('tokenledger_requests_total', { user: 'faruser' })).toBe(1);
    expect((await fetch(`${serve.baseUrl}/readyz`)).status).toBe(200);
    await serve.stop();
    expect(serve.log).not.toMatch(/error|unexpected/i);
  });
});
