import { Client } from 'pg';
import { LedgerError, LedgerUnavailableError, LedgerVersionError } from '../src/ledger/ledger';
import { pgTime, PostgresLedger } from '../src/ledger/postgres/postgresLedger';
import { batchOf, describeLedgerContract, pushToCommit, record } from './ledgerContract';
import { monthOf } from '../src/ledger/rows';
import { COLUMNS_BEFORE_PRICING_INPUTS, ROLLUP_KEY, ROLLUP_MEASURES } from '../src/ledger/schema';
import { CREATE_TABLES, createPartitions, PG_TYPES, SCHEMA_VERSION } from '../src/ledger/postgres/schema';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS } from '../src/types';
import { PG_PASSWORD, RunningPostgres, startPostgres } from './postgres';

const T0 = Date.parse('2026-01-01T00:00:00Z');

// The ledger contract on a real PostgreSQL: a private cluster for this file, a new database per test.

let pg: RunningPostgres;
let databases = 0;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => pg?.stop());

describeLedgerContract(
  'PostgreSQL',
  async () => ({ engine: 'postgres', url: await pg.createDatabase(`contract_${++databases}`), pool: 4 }),
  true
);

describe('the PostgreSQL ledger beyond the contract', () => {
  const open = (url: string, node = 'node-a') => PostgresLedger.open({ url, pool: 2, node });
  /** Every row's stored cost, by key: what a migration must leave as it was. */
  const storedCosts = (c: Client) =>
    c.query('SELECT record_key, cost_pusd, charge_pusd FROM usage ORDER BY record_key').then((r) => r.rows);
  const schemaVersion = async (c: Client) =>
    (await c.query(`SELECT value FROM meta WHERE key = 'schema_version'`)).rows.map((r: { value: string }) => r.value);
  const ALL = { fromMs: 0, toMs: Date.parse('2100-01-01T00:00:00Z'), filters: {}, groupBy: [], sort: 'cost' } as const;

  it('refuses a wrong password, a missing database or an unknown host in one clear line, and waits for nothing', async () => {
    const wrong = pg.url().replace(`:${PG_PASSWORD}@`, ':hunter2@');
    const refused = await open(wrong).then(
      () => undefined,
      (e: Error) => e
    );
    expect(refused).toBeInstanceOf(LedgerError);
    expect(refused).not.toBeInstanceOf(LedgerUnavailableError);
    expect(refused!.message).toMatch(/PostgreSQL refused the login .*check the user and the password/);
    expect(refused!.message).not.toContain('hunter2');
    expect(refused!.message.split('\n')).toHaveLength(1);
    await expect(open(pg.url('no_such_db'))).rejects.toThrow(/database "no_such_db" does not exist; create it first/);
    const unknownHost = open(pg.url().replace('127.0.0.1', 'no-such-host.invalid'));
    await expect(unknownHost).rejects.not.toBeInstanceOf(LedgerUnavailableError);
    await expect(unknownHost).rejects.toThrow(/its host is not found; check the URL/);
  });

  it('calls a server that does not answer unavailable (worth waiting for), not wrong', async () => {
    const closed = pg.url().replace(`:${pg.port}/`, ':1/');
    const refused = open(closed);
    await expect(refused).rejects.toBeInstanceOf(LedgerUnavailableError);
    await expect(refused).rejects.toThrow(/PostgreSQL cannot be reached/);
  });

  it('lets replicas that start together create the schema once, and refuses a newer schema', async () => {
    const url = await pg.createDatabase('together');
    const replicas = await Promise.all(['a', 'b', 'c'].map((n) => open(url, n)));
    await Promise.all(replicas.map((r) => r.close()));
    const admin = new Client(pg.adminConfig('together'));
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      await admin.query(`UPDATE meta SET value = '9' WHERE key = 'schema_version'`);
    } finally {
      await admin.end();
    }
    await expect(open(url)).rejects.toBeInstanceOf(LedgerVersionError);
  });

  it('migrates a version 1 ledger of a running fleet in place: no stored cost changed, old replicas still write', async () => {
    const db = 'v1_ledger';
    const url = await pg.createDatabase(db);
    // The ledger's own role, as a version 1 replica connected: the tables are its own.
    const session = new Client({ connectionString: url });
    session.on('error', () => undefined);
    await session.connect();
    try {
      // The tables as version 1 made them: the columns and rollup measures before the pricing inputs.
      const v1Measures = ROLLUP_MEASURES.slice(0, ROLLUP_MEASURES.indexOf('cache_write_1h'));
      const oldColumns = COLUMNS_BEFORE_PRICING_INPUTS.map((c) => c.name);
      await session.query(`
        CREATE TABLE usage (${COLUMNS_BEFORE_PRICING_INPUTS.map((c) => `${c.name} ${PG_TYPES[c.type]}${c.notNull ? ' NOT NULL' : ''}`).join(', ')})
          PARTITION BY RANGE (start_time);
        CREATE UNIQUE INDEX usage_request ON usage (start_time, record_key);
        CREATE TABLE usage_hourly (hour timestamp NOT NULL, ${ROLLUP_KEY.map((k) => `${k} text NOT NULL`).join(', ')},
          ${v1Measures.map((m) => `${m} bigint NOT NULL`).join(', ')}, PRIMARY KEY (hour, ${ROLLUP_KEY.join(', ')}))
          PARTITION BY RANGE (hour);
        ${CREATE_TABLES}
        DROP TABLE reprice_runs;
        INSERT INTO meta VALUES ('schema_version', '1');
        ${createPartitions(monthOf(T0))}`);
      // What a version 1 replica writes, naming the columns it knows: a row, then its rollup.
      const write = async (key: string, startText: string, cost: number | null) => {
        await session.query(
          `INSERT INTO usage (${oldColumns.join(', ')}) VALUES
             ($1, $2::timestamp, 1200, 'ann', 'k1', NULL, 't1', 'standard', 'm1', NULL, 'success', NULL, 10, 0, 2, 5, 0, $3::bigint, $4::bigint, 'v1', $5, 1, 'old-node')`,
          [key, startText, cost, cost === null ? null : cost + 2, cost !== null]
        );
        await session.query(
          `INSERT INTO usage_hourly (hour, ${ROLLUP_KEY.join(', ')}, ${v1Measures.join(', ')})
             VALUES (date_trunc('hour', $1::timestamp), 'ann', 'k1', 't1', 'standard', 'm1', 1, 0, 10, 0, 2, 5, 0, $2::bigint, $3::bigint, $4)
           ON CONFLICT (hour, ${ROLLUP_KEY.join(', ')}) DO UPDATE SET ${v1Measures.map((m) => `${m} = usage_hourly.${m} + excluded.${m}`).join(', ')}`,
          [startText, cost ?? 0, cost === null ? 0 : cost + 2, cost === null ? 1 : 0]
        );
      };
      await write('litellm:old', '2026-01-01 00:00:00', 7);
      await write('litellm:older', '2026-01-01 01:30:00', null);
      const costs = () => storedCosts(session);
      const before = await costs();

      const ledger = await open(url);
      try {
        expect(await schemaVersion(session)).toEqual([SCHEMA_VERSION]);
        expect(await costs()).toEqual(before);
        // A version 1 replica still running writes on, its rows filled in as a log that said nothing more.
        await write('litellm:oldest', '2026-01-01 01:40:00', 11);
        await ledger.commitBatch(
          batchOf(ledger, [{ ...record('new', T0 + 1, 6, 3n), feePusd: 1n, reportedCostPusd: 4n }])
        );
        const total = (await ledger.breakdown({ ...ALL, limit: undefined })).total;
        expect(total).toMatchObject({
          requests: 4,
          costPusd: 21n,
          chargePusd: 9n + 13n + 3n,
          feePusd: 1n,
          cacheWriteTokens: 6,
          unpricedRequests: 1,
          unreportedRequests: 0,
          gatewayRequests: 1,
          gatewayCostPusd: 4n,
        });
        const old = (await ledger.readUsage(undefined, 10)).rows.find((r) => r.recordKey === 'litellm:old');
        expect(old).toMatchObject({
          costPusd: 7n,
          chargePusd: 9n,
          feePusd: 0n,
          pricedModel: undefined,
          reportedCostPusd: undefined,
          tokens: { ...NO_TOKENS, inputUncached: 10, cacheWrite: 2, output: 5 },
          ...DEFAULT_PRICING_EXTRAS,
        });
      } finally {
        await ledger.close();
      }
      expect(
        (await costs()).filter((r) => r.record_key !== 'litellm:new' && r.record_key !== 'litellm:oldest')
      ).toEqual(before);
    } finally {
      await session.end();
    }
  });

  it('migrates a version 2 ledger in place: the push receipts table added, no stored cost changed', async () => {
    const url = await pg.createDatabase('v2_ledger');
    const v2 = await open(url);
    await v2.commitBatch(batchOf(v2, [record('old', T0, 5, 7n)]));
    await v2.close();
    const admin = new Client(pg.adminConfig('v2_ledger'));
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      // Version 2's tables: no receipts, no coarse rollup levels.
      await admin.query(
        `DROP TABLE pushes, usage_daily, usage_hourly_teams; UPDATE meta SET value = '2' WHERE key = 'schema_version'`
      );
      const costs = () => storedCosts(admin);
      const before = await costs();
      const ledger = await open(url);
      try {
        expect(await schemaVersion(admin)).toEqual([SCHEMA_VERSION]);
        const result = await ledger.commitBatch({ ...batchOf(ledger, [record('new', T0, 6)]), push: pushToCommit() });
        expect(result).toMatchObject({ inserted: 1, push: { node: 'node-a', stored: 1 } });
        expect(await ledger.pushReceipt(result.push!.id)).toEqual(result.push);
      } finally {
        await ledger.close();
      }
      expect((await costs()).filter((r) => r.record_key !== 'litellm:new')).toEqual(before);
    } finally {
      await admin.end();
    }
  });

  it('migrates a version 2 ledger: the coarse levels filled from the hourly rollup, kept for version 2 replicas still writing', async () => {
    const url = await pg.createDatabase('v2_ledger_levels');
    const HOUR = 3_600_000;
    const v2 = await open(url);
    await v2.commitBatch(
      batchOf(v2, [
        record('a', T0, 5, 7n),
        record('b', T0 + 25 * HOUR + 5, 6, 11n, 'bob'),
        record('c', T0 + 3 * HOUR, 2),
      ])
    );
    await v2.close();
    const session = new Client({ connectionString: url });
    session.on('error', () => undefined);
    await session.connect();
    try {
      // Version 2's tables: no coarse level. Its hourly rollup says one more output token than the rows of
      // 01:00 on day 2: the levels are filled from it, never from `usage`, so they say it too.
      await session.query(`DROP TABLE usage_daily, usage_hourly_teams;
        UPDATE meta SET value = '2' WHERE key = 'schema_version';
        UPDATE usage_hourly SET output = output + 1 WHERE hour = '2026-01-02 01:00:00'`);
      const costs = () => storedCosts(session);
      const before = await costs();
      const ledger = await open(url);
      try {
        expect(await schemaVersion(session)).toEqual([SCHEMA_VERSION]);
        expect(await costs()).toEqual(before);
        // A version 2 replica still running adds to the hourly rollup alone, as it did: the trigger adds it to
        // the levels too (an insert, then an update of the same row).
        for (const cost of [3, 4])
          await session.query(
            `INSERT INTO usage_hourly (hour, ${ROLLUP_KEY.join(', ')}, ${ROLLUP_MEASURES.join(', ')})
               VALUES ('2026-01-02 01:00:00', 'cy', 'k1', 't1', 'standard', 'm1',
                 ${ROLLUP_MEASURES.map((m) => ({ requests: '1', output: '10', cost_pusd: '$1' })[m as string] ?? '0').join(', ')})
             ON CONFLICT (hour, ${ROLLUP_KEY.join(', ')}) DO UPDATE SET requests = usage_hourly.requests + excluded.requests,
               output = usage_hourly.output + excluded.output, cost_pusd = usage_hourly.cost_pusd + excluded.cost_pusd`,
            [cost]
          );
        const span = { fromMs: T0, toMs: T0 + 2 * 86_400_000, filters: {} };
        const days = await ledger.timeSeries({ ...span, groupBy: ['user'], stepSeconds: 86_400 });
        const hours = await ledger.timeSeries({ ...span, groupBy: ['model'], stepSeconds: 3600 });
        const byHourAndUser = await ledger.timeSeries({ ...span, groupBy: ['user'], stepSeconds: 3600 });
        const points = (series: typeof days) =>
          series.map((x) => [
            x.dims.user ?? x.dims.model,
            x.points.map((p) => [p.timeMs, p.requests, p.outputTokens, p.costPusd]),
          ]);
        expect(points(days)).toEqual([
          ['a', [[T0, 1, 5, 7n]]],
          ['bob', [[T0 + 86_400_000, 1, 7, 11n]]],
          ['c', [[T0, 1, 2, 0n]]],
          ['cy', [[T0 + 86_400_000, 2, 20, 7n]]],
        ]);
        expect(points(hours)).toEqual([
          [
            'm1',
            [
              [T0, 1, 5, 7n],
              [T0 + 3 * HOUR, 1, 2, 0n],
              [T0 + 25 * HOUR, 3, 27, 18n],
            ],
          ],
        ]);
        // The full-key hourly rollup, read for hourly series by user, says the same.
        expect(byHourAndUser.map((x) => x.points.reduce((n, p) => n + p.outputTokens, 0))).toEqual([5, 7, 2, 20]);
        // A re-pricing by this version keeps every level right, the trigger staying out of it (no double count).
        await ledger.repriceRange(
          { fromMs: T0, toMs: T0 + HOUR },
          () => ({ costPusd: 100n, feePusd: 0n, chargePusd: 100n, pricedModel: 'm1' }),
          'v2',
          () => undefined
        );
        const repriced = await ledger.breakdown({ ...span, groupBy: [], sort: 'cost', limit: undefined });
        expect(repriced.total).toMatchObject({ requests: 5, outputTokens: 34, costPusd: 100n + 11n + 7n });
      } finally {
        await ledger.close();
      }
    } finally {
      await session.end();
    }
  });

  it('lets one replica at a time use a node name, and the next one in as soon as the first is gone', async () => {
    const url = await pg.createDatabase('one_node');
    const first = await open(url, 'gw-1');
    const second = open(url, 'gw-1');
    await expect(second).rejects.toBeInstanceOf(LedgerUnavailableError);
    await expect(second).rejects.toThrow(/node gw-1 is in use by another replica/);
    const other = await open(url, 'gw-2');
    await other.close();
    await first.close();
    await (await open(url, 'gw-1')).close();
  });

  it('puts each month in its own partition, made as batches need it', async () => {
    const url = await pg.createDatabase('partitions');
    const ledger = await open(url);
    try {
      const jan = Date.parse('2026-01-31T23:59:59.999Z');
      await ledger.commitBatch(
        batchOf(ledger, [
          record('a', jan, 1),
          record('b', jan + 1, 1),
          record('c', Date.parse('2027-06-15T00:00:00Z'), 1),
        ])
      );
      const admin = new Client(pg.adminConfig('partitions'));
      admin.on('error', () => undefined);
      await admin.connect();
      try {
        const parts = await admin.query<{ name: string; n: string }>(
          `SELECT c.relname AS name, (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM ' || c.relname, false, true, '')))[1]::text AS n
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
           WHERE p.relname = 'usage' ORDER BY 1`
        );
        expect(parts.rows).toEqual([
          { name: 'usage_p202601', n: '1' },
          { name: 'usage_p202602', n: '1' },
          { name: 'usage_p202706', n: '1' },
        ]);
      } finally {
        await admin.end();
      }
    } finally {
      await ledger.close();
    }
  });

  it('fails a commit while PostgreSQL is down, and stores the same batch exactly once when it is back', async () => {
    const url = await pg.createDatabase('comeback');
    const ledger = await open(url);
    try {
      await ledger.commitBatch(batchOf(ledger, [record('before', T0, 1, 10n)]));
      const batch = batchOf(ledger, [record('during', T0 + 1, 2, 20n)], {
        counters: [{ name: 'lines_read', label: 'gw', delta: 1 }],
      });
      await pg.kill();
      await expect(ledger.commitBatch(batch)).rejects.toBeInstanceOf(LedgerUnavailableError);
      await expect(ledger.breakdown({ ...ALL, limit: undefined })).rejects.toBeInstanceOf(LedgerUnavailableError);
      await pg.restart();
      await ledger.commitBatch(batch);
      await ledger.commitBatch(batch); // a retry after an answer that was lost
      // Its node lock died with the server; the next ping takes it again.
      await ledger.ping();
      await expect(open(url)).rejects.toThrow(/node node-a is in use by another replica/);
      expect((await ledger.breakdown({ ...ALL, limit: undefined })).total).toMatchObject({
        requests: 2,
        costPusd: 30n,
      });
      expect(await ledger.counters()).toEqual([{ name: 'lines_read', label: 'gw', value: 1 }]);
    } finally {
      await ledger.close();
    }
  });
});

describe('times bound for PostgreSQL', () => {
  it('are written so that PostgreSQL reads them back, up to the end of the range a query may name', () => {
    expect(pgTime(0)).toBe('1970-01-01 00:00:00.000');
    expect(pgTime(Date.UTC(2026, 11, 1, 9, 5, 7, 42))).toBe('2026-12-01 09:05:07.042');
    expect(pgTime(Date.UTC(10000, 0, 1))).toBe('10000-01-01 00:00:00.000');
  });
});
