import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PriceBook } from '../pricing/priceBook';
import { Pricer } from '../pricing/pricer';
import type { PricedRecord } from '../types';
import { EncodedRows, joinRows, UsageBatch } from './batchFile';
import { Ledger, LedgerBusyError, LedgerCorruptError } from './ledger';
import { repriceUnpriced } from './reprice';
import { SCHEMA_VERSION, USAGE_COLUMNS } from './schema';

// A request is stored once per idempotency key and start time, whichever batch or file it comes from.

const T0 = Date.parse('2026-01-01T00:00:00Z');

function record(id: string, startMs: number, output: number, costPusd?: bigint): PricedRecord {
  return {
    requestId: id,
    startMs,
    durationMs: 1200,
    user: 'ann',
    apiKeyId: undefined,
    apiKeyAlias: 'k1',
    team: 't1',
    tier: 'standard',
    model: 'm1',
    provider: undefined,
    status: 'success',
    httpStatus: undefined,
    tokens: { inputUncached: 10, cacheRead: 0, cacheWrite: 0, output, reasoning: 0 },
    source: 'litellm',
    costPusd,
    chargePusd: costPusd,
    priceVersion: costPusd === undefined ? undefined : 'v1',
  };
}

function batchOf(...records: PricedRecord[]): EncodedRows {
  const b = new UsageBatch();
  records.forEach((r, seq) => b.add(r, seq));
  return b.encoded();
}

const commit = (ledger: Ledger, batch: EncodedRows) => ledger.commitBatch(batch, [], [], new Map());

async function storedOutputs(ledger: Ledger): Promise<string[]> {
  const rows = await ledger.rows(
    `SELECT record_key, epoch_ms(start_time) - ${T0} AS at, output FROM usage ORDER BY record_key, start_time`
  );
  return rows.map((r) => `${String(r.record_key)}@${String(r.at)}=${String(r.output)}`);
}

describe('Ledger batches', () => {
  let dir: string;
  let ledger: Ledger;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-ledger-'));
    ledger = await Ledger.open(join(dir, 'l.duckdb'));
  });
  afterEach(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keep the first of two repeats within a batch, and report only what landed', async () => {
    const result = await commit(
      ledger,
      batchOf(record('a', T0, 5, 100n), record('b', T0, 7), record('a', T0, 9, 100n))
    );
    expect(result.inserted).toBe(2);
    expect(await storedOutputs(ledger)).toEqual(['litellm:a@0=5', 'litellm:b@0=7']);
    expect(result.added.cells).toEqual([
      expect.objectContaining({ requests: 2, tokens: [20, 0, 0, 12], costPusd: 100n }),
    ]);
    expect(result.added.unpriced).toEqual([{ model: 'm1', requests: 1 }]);
    expect(result.added.latency).toEqual([expect.objectContaining({ model: 'm1', count: 2 })]);
  });

  it('keep the repeat read first when a batch was encoded in two parts, whichever part comes first in the file', async () => {
    // Two threads encode one batch (pipeline/parseThread.ts); `seq` is the place read, not the place in the file.
    const worker = new UsageBatch();
    worker.add(record('a', T0, 9), 4);
    worker.add(record('b', T0, 2), 1);
    const main = new UsageBatch();
    main.add(record('a', T0, 5), 3);
    main.add(record('b', T0, 8), 6);
    const result = await commit(ledger, joinRows(worker.encoded(), main.encoded()));
    expect(result.inserted).toBe(2);
    expect(await storedOutputs(ledger)).toEqual(['litellm:a@0=5', 'litellm:b@0=2']);
  });

  it('leave out rows stored by an earlier batch, however the batches are cut', async () => {
    await commit(ledger, batchOf(record('a', T0, 5), record('b', T0 + 1000, 7)));
    const again = await commit(
      ledger,
      batchOf(record('b', T0 + 1000, 7), record('c', T0 + 500, 3), record('a', T0, 5))
    );
    expect(again.inserted).toBe(1);
    expect(again.added.cells.map((c) => c.requests)).toEqual([1]);
    const replay = await commit(
      ledger,
      batchOf(record('a', T0, 5), record('b', T0 + 1000, 7), record('c', T0 + 500, 3))
    );
    expect(replay).toMatchObject({ inserted: 0, added: { cells: [], latency: [], unpriced: [] } });
    expect(await storedOutputs(ledger)).toEqual(['litellm:a@0=5', 'litellm:b@1000=7', 'litellm:c@500=3']);
  });

  it('store one request id at two start times as two requests', async () => {
    await commit(ledger, batchOf(record('a', T0, 5)));
    expect((await commit(ledger, batchOf(record('a', T0 + 60_000, 6)))).inserted).toBe(1);
    expect(await storedOutputs(ledger)).toEqual(['litellm:a@0=5', 'litellm:a@60000=6']);
  });

  it('re-price each unpriced row by its own tokens, even when two rows share a request id', async () => {
    await commit(ledger, batchOf(record('a', T0, 1), record('a', T0 + 1, 2), record('b', T0, 4, 5n)));
    const book: PriceBook = {
      version: 'v2',
      models: new Map([
        ['m1', [{ effectiveFromMs: 0, rates: { inputUncached: 0n, cacheRead: 0n, cacheWrite: 0n, output: 1000n } }]],
      ]),
      aliases: new Map(),
      tiers: new Map(),
      warnings: [],
    };
    expect(await repriceUnpriced(ledger, new Pricer(book))).toBe(2);
    const rows = await ledger.rows(
      `SELECT record_key, output, cost_pusd, price_version FROM usage ORDER BY record_key, output`
    );
    expect(rows.map((r) => [r.record_key, Number(r.output), r.cost_pusd, r.price_version])).toEqual([
      ['litellm:a', 1, 1000n, 'v2'],
      ['litellm:a', 2, 2000n, 'v2'],
      ['litellm:b', 4, 5n, 'v1'],
    ]);
  });
});

describe('Ledger schema versions', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tl-ledger-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A ledger as version 1 wrote it: the same columns, record_key the primary key. */
  async function versionOneLedger(path: string): Promise<void> {
    const instance = await DuckDBInstance.create(path);
    const db = await instance.connect();
    const columns = USAGE_COLUMNS.map(
      ([name, type]) => `${name} ${name === 'record_key' ? 'VARCHAR PRIMARY KEY' : type}`
    ).join(', ');
    await db.run(`CREATE TABLE usage (${columns}); CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1');
      INSERT INTO usage (record_key, start_time, user_id, api_key, team, tier, model, status, input_uncached, cache_read, cache_write, output, reasoning, cost_pusd, charge_pusd, priced_on_ingest, ingest_batch)
      VALUES ('litellm:old', TIMESTAMP '2026-01-01 00:00:00', 'ann', 'k1', 't1', 'standard', 'm1', 'success', 10, 0, 0, 5, 0, 7, 7, true, 1)`);
    db.closeSync();
    instance.closeSync();
  }

  it('read a version 1 ledger as it is, and upgrade it when a writer opens it', async () => {
    const path = join(dir, 'v1.duckdb');
    await versionOneLedger(path);
    const reader = await Ledger.open(path, { readOnly: true });
    expect(await reader.scalar('SELECT count(*) FROM usage')).toBe(1n);
    expect(await reader.scalar(`SELECT value FROM meta WHERE key = 'schema_version'`)).toBe('1');
    await reader.close();

    const writer = await Ledger.open(path);
    try {
      expect(await writer.scalar(`SELECT value FROM meta WHERE key = 'schema_version'`)).toBe(SCHEMA_VERSION);
      expect(
        await writer.scalar(
          `SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'usage' AND constraint_type = 'PRIMARY KEY'`
        )
      ).toBe(0n);
      // The old row is kept, and still refuses its repeat; the batch numbers carry on.
      const result = await commit(writer, batchOf(record('old', T0, 5), record('new', T0, 6)));
      expect(result).toMatchObject({ inserted: 1, batch: 2 });
      expect(await writer.scalar('SELECT sum(output) FROM usage')).toBe(11n);
    } finally {
      await writer.close();
    }
  });

  it('refuse a ledger written by a newer version, saying so', async () => {
    const path = join(dir, 'v9.duckdb');
    await (await Ledger.open(path)).close();
    const instance = await DuckDBInstance.create(path);
    const db = await instance.connect();
    await db.run(`UPDATE meta SET value = '9' WHERE key = 'schema_version'`);
    db.closeSync();
    instance.closeSync();
    await expect(Ledger.open(path)).rejects.toThrow(/schema version 9; this tokenledger reads versions 1 and 2/);
  });
});

describe('Ledger.open refusals', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-ledger-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('call a ledger with damaged blocks corrupt, not in use (DuckDB says "block", which contains "lock")', async () => {
    const path = join(dir, 'damaged.duckdb');
    const ledger = await Ledger.open(path);
    await ledger.write((db) =>
      db.run(`INSERT INTO meta SELECT 'filler' || i, repeat('x', 200) FROM range(20000) t(i)`)
    );
    await ledger.close();
    // Everything after DuckDB's headers (3 blocks of 4 KiB) overwritten: the checksums of the data blocks fail.
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(size - 12288, 0x5a), 0, size - 12288, 12288);
    closeSync(fd);
    const refused = Ledger.open(path);
    await expect(refused).rejects.toBeInstanceOf(LedgerCorruptError);
    await expect(refused).rejects.toThrow(/damaged or is not a DuckDB database/);
  });

  it('call a file of garbage corrupt', async () => {
    const path = join(dir, 'garbage.duckdb');
    writeFileSync(path, Buffer.alloc(64 * 1024, 0xab));
    await expect(Ledger.open(path)).rejects.toBeInstanceOf(LedgerCorruptError);
  });

  it('call a ledger that another process holds in use', async () => {
    const path = join(dir, 'held.duckdb');
    await (await Ledger.open(path)).close();
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
      const refused = Ledger.open(path);
      await expect(refused).rejects.toBeInstanceOf(LedgerBusyError);
      await expect(refused).rejects.toThrow(/in use by another process/);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('Ledger queries and writes', () => {
  it('let queries through between writes that follow each other without a pause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-ledger-gate-'));
    const ledger = await Ledger.open(join(dir, 'l.duckdb'));
    try {
      let writing = true;
      let writes = 0;
      const writer = (async () => {
        while (writing && writes < 2000) {
          await ledger.write((db) => db.run(`INSERT OR REPLACE INTO meta VALUES ('w', '${writes}')`));
          writes++;
        }
      })();
      await new Promise((r) => setTimeout(r, 20));
      const answered = await Promise.race([ledger.scalar('SELECT 42').then((v) => v === 42), writer.then(() => false)]);
      writing = false;
      await writer;
      expect(answered).toBe(true);
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Ledger commit errors', () => {
  it('carry no ledger data: not the row DuckDB quotes, nor the value it could not convert', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-ledger-err-'));
    const ledger = await Ledger.open(join(dir, 'l.duckdb'));
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
      const failed = ledger.commitBatch(
        { chunks: [Buffer.from(`${row.join('\t')}\n`)], rows: 1, minStartMs: 0, maxStartMs: 1 },
        [],
        [],
        new Map()
      );
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
