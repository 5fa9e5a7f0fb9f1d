import type { BatchResult, PushReceipt } from '../ledger';
import { NO_METRIC_TOTALS } from '../metricTotals';
import {
  forgetReceiptsStatement,
  insertReceiptStatement,
  pushesTableDdl,
  pushReceiptSql,
  receiptFromRow,
  replayedPush,
  storedReceipt,
} from './pushReceipts';
import { SqlDialect, SqlTime } from './usageQueries';

const receipt: PushReceipt = {
  id: 'push-1',
  bodySha256: 'ab'.repeat(32),
  node: 'node-a',
  committedMs: 1_764_633_600_123,
  received: 5,
  stored: 3,
  repeats: 1,
  skipped: 0,
  refused: 1,
  refusedByReason: { invalid_json: 1 },
  refusals: [{ line: 4, offset: 40, reason: 'invalid_json', field: undefined, message: 'line 4: not JSON' }],
};

describe('pushReceipts: the pushes table', () => {
  it('declares every column NOT NULL with the engine type of its kind, keyed by id', () => {
    const ddl = pushesTableDdl({ text: 'VARCHAR', bigint: 'BIGINT', timestamp: 'TIMESTAMP' });
    expect(ddl).toBe(`CREATE TABLE IF NOT EXISTS pushes (
  id VARCHAR NOT NULL,
  body_sha256 VARCHAR NOT NULL,
  node VARCHAR NOT NULL,
  ingest_batch BIGINT NOT NULL,
  committed_at TIMESTAMP NOT NULL,
  received BIGINT NOT NULL,
  stored BIGINT NOT NULL,
  repeats BIGINT NOT NULL,
  skipped BIGINT NOT NULL,
  refused BIGINT NOT NULL,
  refused_by_reason VARCHAR NOT NULL,
  refusals VARCHAR NOT NULL,
  PRIMARY KEY (id)
);`);
  });

  it('reads a receipt back as it was written, with the batch that stored it', () => {
    const dialect = { epochMs: (e: string) => `ms(${e})` } as SqlDialect;
    expect(pushReceiptSql(dialect)).toBe(
      'SELECT id, body_sha256, node, ingest_batch, ms(committed_at) AS committed_ms, received, stored, repeats, skipped, refused, refused_by_reason, refusals\nFROM pushes WHERE id = $1'
    );
    const insert = insertReceiptStatement(receipt, 42);
    expect(insert.sql).toBe(
      'INSERT INTO pushes (id, body_sha256, node, ingest_batch, committed_at, received, stored, repeats, skipped, refused, refused_by_reason, refusals)\nVALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)'
    );
    expect(insert.params).toEqual([
      'push-1',
      'ab'.repeat(32),
      'node-a',
      42,
      new SqlTime(1_764_633_600_123),
      5,
      3,
      1,
      0,
      1,
      '{"invalid_json":1}',
      '[{"line":4,"offset":40,"reason":"invalid_json","message":"line 4: not JSON"}]',
    ]);
    // As an engine returns the row: bigint columns may come back as text, the time as epoch ms.
    const row = {
      id: 'push-1',
      body_sha256: 'ab'.repeat(32),
      node: 'node-a',
      ingest_batch: '42',
      committed_ms: '1764633600123',
      received: '5',
      stored: 3,
      repeats: '1',
      skipped: 0n,
      refused: '1',
      refused_by_reason: insert.params[10],
      refusals: insert.params[11],
    };
    const back = receiptFromRow(row);
    expect(back.batch).toBe(42);
    expect(back.receipt).toEqual({ ...receipt, refusals: [{ ...receipt.refusals[0], field: undefined }] });
    expect(back.receipt.refusals[0]).not.toHaveProperty('field');
  });

  it("fills a push's receipt with what its commit stored: the rows not inserted are repeats", () => {
    const { id: _id, node: _node, stored: _stored, repeats: _repeats, ...before } = receipt;
    expect(storedReceipt('push-2', 'node-b', { receipt: before }, 4, 1)).toEqual({
      ...before,
      id: 'push-2',
      node: 'node-b',
      stored: 1,
      repeats: 3,
    });
  });

  it('forgets the receipts committed before a time, of every node', () => {
    expect(forgetReceiptsStatement(1000)).toEqual({
      sql: 'DELETE FROM pushes WHERE committed_at < $1',
      params: [new SqlTime(1000)],
    });
  });

  it("answers a push committed before: this node's from its batch read back, another node's with nothing to count", async () => {
    const readBatches: number[] = [];
    const stored: BatchResult = { inserted: 3, added: NO_METRIC_TOTALS, freshRejects: [], batch: 42 };
    const readBack = async (batch: number) => {
      readBatches.push(batch);
      return stored;
    };
    expect(await replayedPush('node-a', { receipt, batch: 42 }, readBack)).toEqual({ ...stored, push: receipt });
    expect(readBatches).toEqual([42]);
    expect(await replayedPush('node-b', { receipt, batch: 42 }, readBack)).toEqual({
      inserted: 0,
      added: NO_METRIC_TOTALS,
      freshRejects: [],
      batch: 42,
      replayed: true,
      push: receipt,
    });
    expect(readBatches).toEqual([42]);
  });
});
