import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchOf, fullRecord, pushToCommit, record } from '../../../test/ledgerContract';
import { duckDbRows, withDuckDb } from '../../../test/duckdbFile';
import { LedgerBusyError, LedgerCorruptError, LedgerVersionError } from '../ledger';
import { noRows, UsageBatch } from '../rows';
import { COLUMNS_BEFORE_PRICING_INPUTS, ROLLUP_KEY, ROLLUP_MEASURES, ROW_MEASURES } from '../schema';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS } from '../../types';
import { DuckDbLedger } from './duckDbLedger';
import { DUCKDB_TYPES, RARE_USAGE_COLUMNS, SCHEMA_VERSION } from './schema';

// What the DuckDB engine does beyond the ledger contract (test/ledgerContract.ts): its file, its migrations,
// its refusals, its one writer among queries.

const T0 = Date.parse('2026-01-01T00:00:00Z');
const open = (path: string, readOnly = false) => DuckDbLedger.open(path, { node: 'node-a', readOnly });

describe('DuckDB ledger schema versions', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tl-ledger-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * A ledger as version 1, 2 or 3 wrote it: the columns before the pricing inputs, without `node` before version
   * 3, record_key the primary key in version 1, version 3's rollup with the measures it had; two requests in two
   * hours, one priced at 7 pico-USD (charged 9), one unpriced.
   */
  async function olderLedger(path: string, version: '1' | '2' | '3'): Promise<void> {
    const columns = COLUMNS_BEFORE_PRICING_INPUTS.filter((c) => version === '3' || c.name !== 'node')
      .map(
        (c) => `${c.name} ${DUCKDB_TYPES[c.type]}${c.name === 'record_key' && version === '1' ? ' PRIMARY KEY' : ''}`
      )
      .join(', ');
    const node = version === '3' ? ', node' : '';
    const nodeValue = version === '3' ? ", 'node-old'" : '';
    const v3Measures = ROLLUP_MEASURES.slice(0, ROLLUP_MEASURES.indexOf('cache_write_1h'));
    const v3Rollup =
      version === '3'
        ? `CREATE TABLE usage_hourly (hour TIMESTAMP NOT NULL, ${ROLLUP_KEY.map((k) => `${k} VARCHAR NOT NULL`).join(', ')},
             ${v3Measures.map((m) => `${m} BIGINT NOT NULL`).join(', ')}, PRIMARY KEY (hour, ${ROLLUP_KEY.join(', ')}));
           INSERT INTO usage_hourly SELECT date_trunc('hour', start_time), ${ROLLUP_KEY.join(', ')},
             ${v3Measures.map((m) => `coalesce(sum(${ROW_MEASURES[m]}), 0)`).join(', ')} FROM usage GROUP BY ALL;`
        : '';
    await withDuckDb(path, (db) =>
      db.run(`CREATE TABLE usage (${columns}); CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '${version}');
        INSERT INTO usage (record_key, start_time, user_id, api_key, team, tier, model, status, input_uncached, cache_read, cache_write, output, reasoning, cost_pusd, charge_pusd, priced_on_ingest, ingest_batch${node})
        VALUES ('litellm:old', TIMESTAMP '2026-01-01 00:00:00', 'ann', 'k1', 't1', 'standard', 'm1', 'success', 10, 0, 2, 5, 0, 7, 9, true, 1${nodeValue}),
               ('litellm:older', TIMESTAMP '2026-01-01 01:30:00', 'bob', 'k1', 't1', 'standard', 'm1', 'failure', 10, 0, 0, 3, 0, NULL, NULL, false, 1${nodeValue});
        ${v3Rollup}`)
    );
  }

  /**
   * A ledger of this version turned back into version 6's layout (the rare pricing inputs in `usage`, no
   * `usage_rare`), then called `version` (4, 5 or 6): what an earlier tokenledger left, as far as `usage` goes.
   */
  const asVersion6Layout = (path: string, version: string) =>
    withDuckDb(path, (db) =>
      db.run(`DROP VIEW usage_full;
        ${RARE_USAGE_COLUMNS.map((c) => `ALTER TABLE usage ADD COLUMN ${c.name} ${DUCKDB_TYPES[c.type]} DEFAULT ${c.fill};`).join('\n')}
        UPDATE usage SET ${RARE_USAGE_COLUMNS.map((c) => `${c.name} = r.${c.name}`).join(', ')}
          FROM usage_rare r WHERE r.record_key = usage.record_key AND r.start_time = usage.start_time;
        DROP TABLE usage_rare;
        UPDATE meta SET value = '${version}' WHERE key = 'schema_version'`)
    );

  it.each(['1', '2', '3'] as const)(
    'migrate a version %s ledger when a writer opens it: columns and rollup added, stored costs unchanged',
    async (version) => {
      const path = join(dir, `v${version}.duckdb`);
      await olderLedger(path, version);
      const before = await duckDbRows(path, 'SELECT record_key, cost_pusd, charge_pusd FROM usage ORDER BY record_key');
      // A reader cannot query it before its upgrade, and says how to upgrade it.
      await expect(open(path, true)).rejects.toThrow(/run `tokenledger serve` or `tokenledger ingest` on it once/);
      const writer = await open(path);
      try {
        // The old row still refuses its repeat; the batch numbers carry on.
        const result = await writer.commitBatch(batchOf(writer, [record('old', T0, 5), record('new', T0, 6)]));
        expect(result).toMatchObject({ inserted: 1, batch: 2 });
        const selection = {
          fromMs: T0,
          toMs: T0 + 2 * 3_600_000,
          filters: {},
          groupBy: ['user'] as const,
          sort: 'requests' as const,
          limit: undefined,
        };
        const all = { ...(await writer.breakdown(selection)), selection };
        expect(all.total).toMatchObject({
          requests: 3,
          outputTokens: 14,
          cacheWriteTokens: 2,
          costPusd: 7n,
          chargePusd: 9n,
          feePusd: 0n,
          failedRequests: 1,
          unpricedRequests: 2,
          unreportedRequests: 0,
          gatewayRequests: 0,
        });
        // Whole days are read from the daily level, an unfiltered hourly series from the one without users:
        // both made by the migration, both saying what the rows say.
        const day = await writer.breakdown({ ...all.selection, toMs: T0 + 86_400_000 });
        expect(day.total).toEqual(all.total);
        const series = await writer.timeSeries({
          fromMs: T0,
          toMs: T0 + 86_400_000,
          filters: {},
          groupBy: [],
          stepSeconds: 3600,
        });
        expect(series[0]!.points.map((p) => [p.timeMs, p.requests, p.outputTokens])).toEqual([
          [T0, 2, 11],
          [T0 + 3_600_000, 1, 3],
        ]);
        // An old row reads as a record whose log said nothing of the new inputs: the pricer gets the same.
        const old = (await writer.readUsage(undefined, 10)).rows.find((r) => r.recordKey === 'litellm:old');
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
        await writer.close();
      }
      const after = await duckDbRows(
        path,
        'SELECT record_key, cost_pusd, charge_pusd, node FROM usage ORDER BY record_key'
      );
      expect(after.filter((r) => r.record_key !== 'litellm:new')).toEqual(
        before.map((r) => ({ ...r, node: version === '3' ? 'node-old' : 'node-a' }))
      );
      expect(await duckDbRows(path, `SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual([
        { value: SCHEMA_VERSION },
      ]);
      expect(
        await duckDbRows(
          path,
          `SELECT count(*) AS n FROM duckdb_constraints() WHERE table_name = 'usage' AND constraint_type = 'PRIMARY KEY'`
        )
      ).toEqual([{ n: 0n }]);
    }
  );

  it('migrate a version 4 ledger when a writer opens it: the push receipts table added, stored rows unchanged', async () => {
    const path = join(dir, 'v4.duckdb');
    const v4 = await open(path);
    await v4.commitBatch(batchOf(v4, [record('old', T0, 5, 7n)]));
    await v4.close();
    await asVersion6Layout(path, '4');
    await withDuckDb(path, (db) => db.run(`DROP TABLE pushes`));
    const before = await duckDbRows(path, 'SELECT record_key, cost_pusd, charge_pusd, node FROM usage');
    await expect(open(path, true)).rejects.toThrow(/run `tokenledger serve` or `tokenledger ingest` on it once/);
    const writer = await open(path);
    try {
      const result = await writer.commitBatch({ ...batchOf(writer, [record('new', T0, 6)]), push: pushToCommit() });
      expect(result).toMatchObject({ inserted: 1, batch: 2, push: { node: 'node-a', stored: 1 } });
      expect(await writer.pushReceipt(result.push!.id)).toEqual(result.push);
    } finally {
      await writer.close();
    }
    expect(
      await duckDbRows(
        path,
        `SELECT record_key, cost_pusd, charge_pusd, node FROM usage WHERE record_key <> 'litellm:new'`
      )
    ).toEqual(before);
    expect(await duckDbRows(path, `SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual([
      { value: SCHEMA_VERSION },
    ]);
  });

  it('migrate a version 5 ledger: the coarse rollup levels filled from the hourly one, stored costs unchanged', async () => {
    const path = join(dir, 'v5.duckdb');
    const HOUR = 3_600_000;
    const v5 = await open(path);
    await v5.commitBatch(
      batchOf(v5, [
        record('a', T0, 5, 7n),
        record('b', T0 + 25 * HOUR + 5, 6, 11n, 'bob'),
        record('c', T0 + 3 * HOUR, 2),
      ])
    );
    await v5.close();
    // Version 5's tables: no coarse level. Its hourly rollup says one more output token than the rows of
    // 01:00 on day 2: the levels are filled from it, never from `usage`, so they say it too.
    await asVersion6Layout(path, '5');
    await withDuckDb(path, (db) =>
      db.run(`DROP TABLE usage_daily; DROP TABLE usage_hourly_teams;
        UPDATE usage_hourly SET output = output + 1 WHERE hour = TIMESTAMP '2026-01-02 01:00:00'`)
    );
    const costs = () => duckDbRows(path, 'SELECT record_key, cost_pusd, charge_pusd FROM usage ORDER BY record_key');
    const before = await costs();
    const ledger = await open(path);
    try {
      const days = await ledger.timeSeries({
        fromMs: T0,
        toMs: T0 + 2 * 86_400_000,
        filters: {},
        groupBy: ['user'],
        stepSeconds: 86_400,
      });
      expect(
        days.map((s) => [s.dims.user, s.points.map((p) => [p.timeMs, p.requests, p.outputTokens, p.costPusd])])
      ).toEqual([
        ['a', [[T0, 1, 5, 7n]]],
        ['bob', [[T0 + 86_400_000, 1, 7, 11n]]],
        ['c', [[T0, 1, 2, 0n]]],
      ]);
      const hours = await ledger.timeSeries({
        fromMs: T0,
        toMs: T0 + 2 * 86_400_000,
        filters: {},
        groupBy: ['model'],
        stepSeconds: 3600,
      });
      expect(hours[0]!.points.map((p) => [p.timeMs, p.outputTokens])).toEqual([
        [T0, 5],
        [T0 + 3 * HOUR, 2],
        [T0 + 25 * HOUR, 7],
      ]);
    } finally {
      await ledger.close();
    }
    expect(await costs()).toEqual(before);
    expect(await duckDbRows(path, `SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual([
      { value: SCHEMA_VERSION },
    ]);
  });

  it('migrate a version 6 ledger: the rare pricing inputs moved out of usage, every record read as before', async () => {
    const path = join(dir, 'v6.duckdb');
    const v6 = await open(path);
    await v6.commitBatch(
      batchOf(v6, [fullRecord('rare', T0, 1000n), record('plain', T0, 5, 7n), fullRecord('rare2', T0 + 5, 30n)])
    );
    const records = async (ledger: DuckDbLedger) =>
      (await ledger.readUsage(undefined, 10)).rows.sort((a, b) => a.recordKey.localeCompare(b.recordKey));
    const before = await records(v6);
    await v6.close();
    await asVersion6Layout(path, '6');
    const costs = () =>
      duckDbRows(path, 'SELECT record_key, cost_pusd, charge_pusd, fee_pusd FROM usage ORDER BY record_key');
    const storedCosts = await costs();
    expect(await duckDbRows(path, `SELECT count(*) AS n FROM usage WHERE service_tier IS NOT NULL`)).toEqual([
      { n: 2n },
    ]);
    const ledger = await open(path);
    try {
      expect(await records(ledger)).toEqual(before);
      // The same request again, whole: still left out as a repeat, its inputs too.
      const again = await ledger.commitBatch(batchOf(ledger, [fullRecord('rare', T0, 1000n)]));
      expect(again.inserted).toBe(0);
      expect(await records(ledger)).toEqual(before);
    } finally {
      await ledger.close();
    }
    expect(await costs()).toEqual(storedCosts);
    expect(await duckDbRows(path, 'SELECT record_key FROM usage_rare ORDER BY record_key')).toEqual([
      { record_key: 'litellm:rare' },
      { record_key: 'litellm:rare2' },
    ]);
    const usageColumns = await duckDbRows(path, `SELECT column_name FROM duckdb_columns() WHERE table_name = 'usage'`);
    expect(usageColumns.map((c) => c.column_name)).not.toContain('service_tier');
    expect(await duckDbRows(path, `SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual([
      { value: SCHEMA_VERSION },
    ]);
  });

  it('refuse a ledger written by a newer version, saying so', async () => {
    const path = join(dir, 'v9.duckdb');
    await (await open(path)).close();
    await withDuckDb(path, (db) => db.run(`UPDATE meta SET value = '9' WHERE key = 'schema_version'`));
    const refused = open(path);
    await expect(refused).rejects.toBeInstanceOf(LedgerVersionError);
    await expect(refused).rejects.toThrow(`schema version 9; this tokenledger reads versions ${SCHEMA_VERSION} (`);
  });
});

describe('DuckDB ledger open refusals', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-ledger-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('call a ledger with damaged blocks corrupt, not in use (DuckDB says "block", which contains "lock")', async () => {
    const path = join(dir, 'damaged.duckdb');
    await (await open(path)).close();
    await withDuckDb(path, (db) =>
      db.run(`INSERT INTO meta SELECT 'filler' || i, repeat('x', 200) FROM range(20000) t(i)`)
    );
    // Everything after DuckDB's headers (3 blocks of 4 KiB) overwritten: the checksums of the data blocks fail.
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(size - 12288, 0x5a), 0, size - 12288, 12288);
    closeSync(fd);
    const refused = open(path);
    await expect(refused).rejects.toBeInstanceOf(LedgerCorruptError);
    await expect(refused).rejects.toThrow(/damaged or is not a DuckDB database/);
  });

  it('call a file of garbage corrupt', async () => {
    const path = join(dir, 'garbage.duckdb');
    writeFileSync(path, Buffer.alloc(64 * 1024, 0xab));
    await expect(open(path)).rejects.toBeInstanceOf(LedgerCorruptError);
  });

  it('call a ledger that another process holds in use', async () => {
    const path = join(dir, 'held.duckdb');
    await (await open(path)).close();
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(path)}).then(() => { console.log('held'); setInterval(() => {}, 1000); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.once('exit', (code) => reject(new Error(`the holding process exited with ${code}`)));
      });
      const refused = open(path);
      await expect(refused).rejects.toBeInstanceOf(LedgerBusyError);
      await expect(refused).rejects.toThrow(/in use by another process/);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('DuckDB ledger queries and writes', () => {
  it('let queries through between writes that follow each other without a pause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-ledger-gate-'));
    const ledger = await open(join(dir, 'l.duckdb'));
    try {
      let writing = true;
      let writes = 0;
      const writer = (async () => {
        while (writing && writes < 2000) {
          await ledger.commitBatch(batchOf(ledger, [], { counters: [{ name: 'lines_read', label: 'w', delta: 1 }] }));
          writes++;
        }
      })();
      await new Promise((r) => setTimeout(r, 20));
      const answered = await Promise.race([ledger.counters().then((c) => c.length === 1), writer.then(() => false)]);
      writing = false;
      await writer;
      expect(answered).toBe(true);
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DuckDB ledger retention', () => {
  it('gives the space of a dropped month back: its full row groups leave the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-ledger-retention-'));
    const path = join(dir, 'l.duckdb');
    const MAR = Date.parse('2026-03-01T00:00:00Z');
    // More than a row group (122,880 rows) in January, in one batch: stored whole, not merged with the next. One
    // user: the rows' labels do not matter here, and a label tuple per row made the rollups and the batch's metric
    // totals 123,000 groups each (most of the test's time).
    const JANUARY = 123_000;
    const ledger = await open(path);
    try {
      const january = new UsageBatch(ledger.rowFormat, ledger.rowSpool);
      for (let i = 0; i < JANUARY; i++) january.add(record(`jan-${i}`, T0 + i, 1, undefined, 'ann'), i);
      const stored = await ledger.commitBatch({ ...batchOf(ledger, []), rows: january.encoded() });
      expect(stored.inserted).toBe(JANUARY);
      await ledger.commitBatch(batchOf(ledger, [record('mar', MAR, 1)]));
      expect(await ledger.dropMonthsBefore(MAR)).toEqual(['2026-01']);
    } finally {
      await ledger.close();
    }
    // The rows the file's row groups hold, deleted ones included: January's full row group is gone.
    const stored = await duckDbRows(
      path,
      `SELECT sum(count) AS n FROM pragma_storage_info('usage') WHERE column_name = 'record_key' AND segment_type <> 'VALIDITY'`
    );
    rmSync(dir, { recursive: true, force: true });
    expect(Number(stored[0]!.n)).toBeLessThan(JANUARY - 122_880 + 10);
  });
});

describe('DuckDB ledger commit errors', () => {
  it('carry no ledger data: not the row DuckDB quotes, nor the value it could not convert', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-ledger-err-'));
    const ledger = await open(join(dir, 'l.duckdb'));
    try {
      // A batch file row DuckDB cannot read (a start time that is not a number): its error quotes the whole row.
      const row = [
        'litellm:req-1',
        'notanumber',
        '1.5',
        'alice@example.com',
        'sk-alias-secret',
        '4f2a9c0e1b7d3a5c9e8f',
        'team-red',
        'gold',
        'gpt-4o',
        'openai',
        'success',
        '200',
        '100',
        '0',
        '0',
        '20',
        '0',
        '123',
        '456',
        'v1',
        'true',
        '0',
      ];
      const file = join(ledger.rowSpool, 'unreadable.tsv');
      writeFileSync(file, `${row.join('\t')}\n`);
      const failed = ledger.commitBatch({
        ...batchOf(ledger, []),
        rows: {
          ...noRows('duckdb'),
          files: [{ path: file, bytes: statSync(file).size, unwritten: [] }],
          rows: 1,
          minStartMs: 0,
          maxStartMs: 1,
        },
      });
      const message = await failed.then(
        () => '',
        (e: Error) => e.message
      );
      expect(message).toMatch(
        /cannot commit a batch: Conversion Error: CSV Error on Line: 1; Error when converting column "start_time"\. Could not convert string "…" to 'BIGINT'/
      );
      for (const value of [
        'alice@example.com',
        'sk-alias-secret',
        '4f2a9c0e1b7d3a5c9e8f',
        'team-red',
        'notanumber',
        'litellm:req-1',
      ])
        expect(message).not.toContain(value);
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
