import type { BatchResult, PushReceipt, PushRefusal, PushToCommit } from '../ledger';
import { NO_METRIC_TOTALS } from '../metricTotals';
import { SqlDialect, SqlTime, Statement } from './usageQueries';

/**
 * The `pushes` table, as every engine holds it (each writes its own DDL): one row per committed push, its key the
 * push's id, written in the transaction that stores the push. The counts and listed refusals answer a retry as
 * the first time; `ingest_batch` is the batch that stored it, to read back what it stored on the node that did.
 * Refusals and reasons are JSON text: read and written whole, never queried.
 */

/** Its columns in order, with the type each engine maps to its own (`json` is text). */
export const PUSHES_COLUMNS = [
  ['id', 'text'],
  ['body_sha256', 'text'],
  ['node', 'text'],
  ['ingest_batch', 'bigint'],
  ['committed_at', 'timestamp'],
  ['received', 'bigint'],
  ['stored', 'bigint'],
  ['repeats', 'bigint'],
  ['skipped', 'bigint'],
  ['refused', 'bigint'],
  ['refused_by_reason', 'text'],
  ['refusals', 'text'],
] as const;

/** The table's DDL, with `types` the engine's type of each column type. */
export const pushesTableDdl = (types: Record<'text' | 'bigint' | 'timestamp', string>): string =>
  `CREATE TABLE IF NOT EXISTS pushes (
  ${PUSHES_COLUMNS.map(([name, type]) => `${name} ${types[type]} NOT NULL`).join(',\n  ')},
  PRIMARY KEY (id)
);`;

/** The receipt of push `$1`, read by `receiptFromRow`. */
export const pushReceiptSql = (d: SqlDialect): string =>
  `SELECT ${PUSHES_COLUMNS.map(([name]) => (name === 'committed_at' ? `${d.epochMs(name)} AS committed_ms` : name)).join(', ')}
FROM pushes WHERE id = $1`;

/** A stored receipt, and the batch that stored its push. */
export function receiptFromRow(r: Record<string, unknown>): { receipt: PushReceipt; batch: number } {
  return {
    receipt: {
      id: String(r.id),
      bodySha256: String(r.body_sha256),
      node: String(r.node),
      committedMs: Number(r.committed_ms),
      received: Number(r.received),
      stored: Number(r.stored),
      repeats: Number(r.repeats),
      skipped: Number(r.skipped),
      refused: Number(r.refused),
      refusedByReason: JSON.parse(String(r.refused_by_reason)) as Record<string, number>,
      // A refusal without a field was written without the key (JSON has no undefined): it reads back undefined.
      refusals: JSON.parse(String(r.refusals)) as PushRefusal[],
    },
    batch: Number(r.ingest_batch),
  };
}

/** The receipt of a push committed by `node`, that stored `inserted` of its `rows` rows. */
export function storedReceipt(
  id: string,
  node: string,
  push: PushToCommit,
  rows: number,
  inserted: number
): PushReceipt {
  return { ...push.receipt, id, node, stored: inserted, repeats: rows - inserted };
}

/** Stores a receipt (in its push's transaction). */
export function insertReceiptStatement(r: PushReceipt, batch: number): Statement {
  return {
    sql: `INSERT INTO pushes (${PUSHES_COLUMNS.map(([name]) => name).join(', ')})
VALUES (${PUSHES_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
    params: [
      r.id,
      r.bodySha256,
      r.node,
      batch,
      new SqlTime(r.committedMs),
      r.received,
      r.stored,
      r.repeats,
      r.skipped,
      r.refused,
      JSON.stringify(r.refusedByReason),
      JSON.stringify(r.refusals),
    ],
  };
}

/** Retention: the receipts committed before `beforeMs`, of every node. */
export function forgetReceiptsStatement(beforeMs: number): Statement {
  return { sql: 'DELETE FROM pushes WHERE committed_at < $1', params: [new SqlTime(beforeMs)] };
}

/**
 * The answer to a push committed before, with its receipt. Committed by `node` (its answer was lost, or it was
 * sent again): what it stored, read back from its batch (`readBack`), as `replayed` gives it; by another node:
 * nothing to count here.
 */
export async function replayedPush(
  node: string,
  { receipt, batch }: { receipt: PushReceipt; batch: number },
  readBack: (batch: number) => Promise<BatchResult>
): Promise<BatchResult> {
  if (receipt.node !== node)
    return { inserted: 0, added: NO_METRIC_TOTALS, freshRejects: [], batch, replayed: true, push: receipt };
  return { ...(await readBack(batch)), push: receipt };
}
