import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { lines, requireBuiltCli, runCli, ServeProcess, tempDir, waitFor } from './helpers';
import { PG_PASSWORD, RunningPostgres, startPostgres } from './postgres';
import { writeServeConfig } from './serveConfig';

// `serve` on the shared PostgreSQL ledger as an SRE breaks it: a wrong password, the server down at start,
// the server killed while lines keep coming.

let pg: RunningPostgres;
beforeAll(async () => {
  requireBuiltCli();
  pg = await startPostgres();
});
afterAll(async () => pg?.stop());

/** A serve config of `dir` on the database `url`, following dir/app.log. */
function pgConfig(dir: string, url: string): string {
  const config = writeServeConfig(dir, join(dir, 'app.log'), 'node: replica-1\n');
  const text = readFileSync(config, 'utf8');
  writeFileSync(config, text.replace('ledger: ledger.duckdb', `ledger: ${JSON.stringify(url)}`));
  return config;
}

async function storedRequests(database: string): Promise<number> {
  const c = new Client(pg.adminConfig(database));
  c.on('error', () => undefined);
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM usage')).rows[0]!.n);
  } finally {
    await c.end();
  }
}

describe('serve on PostgreSQL', () => {
  let serve: ServeProcess | undefined;
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
  });

  it('refuses a wrong password at start in one line, without the password or a stack', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), '');
    const config = pgConfig(dir, (await pg.createDatabase('wrongpw')).replace(`:${PG_PASSWORD}@`, ':hunter2@'));
    const r = runCli(['serve', '--config', config]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/PostgreSQL refused the login .*check the user and the password/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('waits for PostgreSQL at start, and across an outage loses and doubles nothing, saying why it is not ready', async () => {
    const dir = tempDir();
    const config = pgConfig(dir, await pg.createDatabase('outage'));
    writeFileSync(join(dir, 'app.log'), lines(0, 50));
    await pg.kill();
    const starting = ServeProcess.begin(config);
    await waitFor('serve to wait for PostgreSQL', () =>
      /PostgreSQL cannot be reached .*trying again until it answers/.test(starting.log()) ? true : undefined
    );
    await pg.restart();
    serve = await starting.ready;
    await waitFor('the first lines stored', async () => ((await storedRequests('outage')) === 50 ? true : undefined));

    await pg.kill();
    // Idle (nothing to commit), it still finds out, and tells.
    const notReady = await waitFor('/readyz to say the ledger is down', async () => {
      const res = await fetch(`${serve!.baseUrl}/readyz`);
      return res.status === 503 ? ((await res.json()) as { reason: string }).reason : undefined;
    });
    expect(notReady).toMatch(/the ledger cannot be reached since/);
    appendFileSync(join(dir, 'app.log'), lines(50, 120));
    const api = await fetch(`${serve.baseUrl}/api/v1/status`);
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBe('5');
    expect(await api.json()).toEqual({ error: 'the ledger cannot be reached; try again shortly' });

    appendFileSync(join(dir, 'app.log'), lines(120, 150));
    await pg.restart();
    await waitFor(
      'every line stored once',
      async () => ((await storedRequests('outage')) === 150 ? true : undefined),
      30_000
    );
    await waitFor('/readyz ready again', async () =>
      (await fetch(`${serve!.baseUrl}/readyz`)).status === 200 ? true : undefined
    );
    expect(await serve.metricSum('tokenledger_requests_total')).toBe(150);
    await serve.stop();
    // Restarted, it reads nothing twice and its counters go on from what its node stored.
    serve = await ServeProcess.start(config);
    expect(await serve.metricSum('tokenledger_requests_total')).toBe(150);
    expect(await storedRequests('outage')).toBe(150);
  });

  it('removes the months retention_months no longer keeps when it starts, and says so', async () => {
    const dir = tempDir();
    const url = await pg.createDatabase('retention');
    // Lines of January 2025 (litellmLine's times): long before the month kept.
    writeFileSync(join(dir, 'app.log'), lines(0, 30));
    const config = pgConfig(dir, url);
    serve = await ServeProcess.start(config);
    await waitFor('the lines stored', async () => ((await storedRequests('retention')) === 30 ? true : undefined));
    await serve.stop();
    writeFileSync(config, `${readFileSync(config, 'utf8')}retention_months: 1\n`);
    serve = await ServeProcess.start(config);
    expect(serve.log).toMatch(/retention \(1 month\(s\) kept\): removed 2025-01/);
    expect(await storedRequests('retention')).toBe(0);
    const status = (await (await fetch(`${serve.baseUrl}/api/v1/status`)).json()) as { records: number };
    expect(status.records).toBe(0);
  });
});
