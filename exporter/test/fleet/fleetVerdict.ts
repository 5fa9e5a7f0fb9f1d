import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Client } from 'pg';
import { Book, expectedCost, Line, Request, Where } from '../faults/book';
import { addTotals, mapTokens, Totals, totalsText, zeroTotals } from '../faults/verdict';
import type { Replica } from './replica';

/**
 * The verdict of a fleet run, read from the shared PostgreSQL ledger, each replica's API, /metrics and reject
 * file once every replica has caught up, and compared with the test's books (faults/book.ts: tokens and costs
 * computed from the generated values and the test price book, not by TokenLedger's code).
 */
export interface FleetVerdict {
  /** Empty when the promise held; each entry names requests or lines and where they were written. */
  problems: string[];
  counts: {
    requestsWritten: number;
    writtenToTwoReplicas: number;
    expectedStored: number;
    stored: number;
    storedPerNode: Record<string, number>;
    expectedQuarantined: number;
    quarantined: number;
  };
  totals: { expected: Totals; ledger: Totals };
}

/** A line a replica must quarantine once: who, which line (its SHA-256, as the ledger keeps it), and why. */
export interface ExpectedReject {
  node: string;
  sha256: string;
  reason: string;
  label: string;
}

export function expectedReject(node: string, line: Line): ExpectedReject {
  const reason =
    line.refused?.reason ?? (line.request?.outcome.kind === 'quarantine' ? line.request.outcome.reason : '');
  if (!reason) throw new Error('expectedReject: not a line TokenLedger must refuse');
  return {
    node,
    // The ledger hashes the line without its newline.
    sha256: createHash('sha256')
      .update(line.bytes.subarray(0, line.bytes.length - 1))
      .digest('hex'),
    reason,
    label: line.refused?.label ?? line.request!.label,
  };
}

interface StoredRow {
  count: number;
  nodes: string[];
  user: string;
  totals: Totals;
}

/** How many examples each kind of problem lists before it only counts. */
const EXAMPLES = 12;
/** All time, as the API's `from` and `to`. */
const ALL_TIME = 'from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z';

export async function fleetVerdict(o: {
  db: Client;
  book: Book;
  /** The nodes each request was written to, by request id. */
  writtenTo: Map<string, string[]>;
  expectedRejects: readonly ExpectedReject[];
  replicas: readonly Replica[];
  describeFault: (n: number) => string;
}): Promise<FleetVerdict> {
  const problems: string[] = [];
  const report = (what: string, items: string[]) => {
    if (!items.length) return;
    problems.push(
      `${what}: ${items.length}${items.length > EXAMPLES ? ` (first ${EXAMPLES})` : ''}`,
      ...items.slice(0, EXAMPLES).map((i) => `  ${i}`)
    );
  };
  const at = (w: Where) =>
    `${w.file} line ${w.line} after ${w.afterFault ? `fault #${w.afterFault} ${o.describeFault(w.afterFault)}` : 'no fault'}`;
  const where = (r: Request) => r.written.map((w, i) => `${o.writtenTo.get(r.id)?.[i] ?? '?'} ${at(w)}`).join('; and ');

  const rows = await storedRows(o.db);
  const ledger = zeroTotals();
  let stored = 0;
  for (const row of rows.values()) {
    stored += row.count;
    addTotals(ledger, row.totals);
  }

  const expected = zeroTotals();
  const byUserModel = new Map<string, { requests: number; totals: Totals }>();
  const lost: string[] = [];
  const duplicated: string[] = [];
  const wrongValues: string[] = [];
  const wrongNode: string[] = [];
  const storedRefused: string[] = [];
  let requestsWritten = 0;
  let writtenToTwoReplicas = 0;
  let expectedStored = 0;
  for (const r of o.book.requests.values()) {
    if (!r.written.length) continue;
    requestsWritten++;
    if (r.written.length > 1) writtenToTwoReplicas++;
    const row = rows.get(r.id);
    rows.delete(r.id);
    if (r.outcome.kind !== 'store') {
      if (row) storedRefused.push(`${r.id} (${r.label}) was stored by ${row.nodes.join(', ')}, written to ${where(r)}`);
      continue;
    }
    expectedStored++;
    const want = { ...mapTokens(r), ...expectedCost(r) };
    addTotals(expected, want);
    const k = `${r.user}\u0000${r.model}`;
    const group = byUserModel.get(k) ?? { requests: 0, totals: zeroTotals() };
    group.requests++;
    addTotals(group.totals, want);
    byUserModel.set(k, group);
    if (!row) {
      lost.push(`${r.id} written to ${where(r)}`);
      continue;
    }
    if (row.count > 1)
      duplicated.push(`${r.id} stored ${row.count} times (by ${row.nodes.join(', ')}), written to ${where(r)}`);
    const notWrittenThere = row.nodes.filter((n) => !o.writtenTo.get(r.id)?.includes(n));
    if (notWrittenThere.length)
      wrongNode.push(`${r.id} stored by ${notWrittenThere.join(', ')}, written to ${where(r)}`);
    const diff = (Object.keys(want) as (keyof Totals)[])
      .filter((f) => want[f] * BigInt(row.count) !== row.totals[f])
      .map((f) => `${f} ${row.totals[f]} (expected ${want[f]} x ${row.count})`);
    if (row.user !== r.user) diff.push(`user ${JSON.stringify(row.user)} (expected ${JSON.stringify(r.user)})`);
    if (diff.length) wrongValues.push(`${r.id}: ${diff.join(', ')}`);
  }
  report('LOST (written, never stored)', lost);
  report('DUPLICATED', duplicated);
  report('WRONG VALUES', wrongValues);
  report('STORED BY A NODE IT WAS NOT WRITTEN TO', wrongNode);
  report('STORED THOUGH IT MUST BE REFUSED', storedRefused);
  report(
    'UNEXPECTED LEDGER ROWS',
    [...rows.keys()].map((id) => `${id} is in the ledger but was never written as a valid request`)
  );
  if (totalsText(ledger) !== totalsText(expected))
    problems.push(`TOTALS: ledger ${totalsText(ledger)}, expected ${totalsText(expected)}`);

  // Every replica answers the API from the one ledger (its hourly rollup for whole hours): the same totals.
  for (const replica of o.replicas)
    report(`API OF ${replica.node} (breakdown by user and model)`, await apiProblems(replica, byUserModel));

  const rejects = await storedRejects(o.db);
  report('REJECTS', compareRejects(o.expectedRejects, rejects));
  const storedPerNode: Record<string, number> = {};
  for (const replica of o.replicas) {
    const n = Number(
      (await o.db.query<{ n: string }>('SELECT count(*) AS n FROM usage WHERE node = $1', [replica.node])).rows[0]!.n
    );
    storedPerNode[replica.node] = n;
    const own = rejects.filter((j) => j.node === replica.node);
    report(`REJECT FILE OF ${replica.node}`, compareRejectFile(replica, own));
    // Each replica counts what it stored, so the counters' sum over replicas is the fleet's total.
    const counted = await replica.metricSum('tokenledger_requests_total');
    const rejected = await replica.metricSum('tokenledger_lines_rejected_total');
    report(`METRICS OF ${replica.node}`, [
      ...(counted !== n
        ? [`tokenledger_requests_total ${counted}, the ledger holds ${n} requests stored by ${replica.node}`]
        : []),
      ...(rejected !== own.length
        ? [`tokenledger_lines_rejected_total ${rejected}, the ledger holds ${own.length} rejects of ${replica.node}`]
        : []),
    ]);
  }
  const perNodeSum = Object.values(storedPerNode).reduce((a, b) => a + b, 0);
  if (perNodeSum !== stored)
    problems.push(`NODES: the replicas stored ${perNodeSum} requests together, the ledger holds ${stored}`);

  return {
    problems,
    counts: {
      requestsWritten,
      writtenToTwoReplicas,
      expectedStored,
      stored,
      storedPerNode,
      expectedQuarantined: o.expectedRejects.length,
      quarantined: rejects.length,
    },
    totals: { expected, ledger },
  };
}

/** The ledger's rows by request id (record key `gw:<id>`): how often, by which nodes, with what values. */
async function storedRows(db: Client): Promise<Map<string, StoredRow>> {
  const result = await db.query<Record<string, string | string[]>>(
    `SELECT record_key, count(*)::text AS n, array_agg(node ORDER BY node) AS nodes, min(user_id) AS user_id,
       sum(input_uncached)::text AS iu, sum(cache_read)::text AS cr, sum(output)::text AS out,
       coalesce(sum(cost_pusd), 0)::text AS cost, coalesce(sum(charge_pusd), 0)::text AS charge
     FROM usage GROUP BY record_key`
  );
  const rows = new Map<string, StoredRow>();
  for (const r of result.rows) {
    const key = r.record_key as string;
    rows.set(key.slice(key.indexOf(':') + 1), {
      count: Number(r.n),
      nodes: r.nodes as string[],
      user: r.user_id as string,
      totals: {
        inputUncached: BigInt(r.iu as string),
        cacheRead: BigInt(r.cr as string),
        output: BigInt(r.out as string),
        costPusd: BigInt(r.cost as string),
        chargePusd: BigInt(r.charge as string),
      },
    });
  }
  return rows;
}

async function apiProblems(
  replica: Replica,
  expected: Map<string, { requests: number; totals: Totals }>
): Promise<string[]> {
  const res = await fetch(`${replica.serve!.baseUrl}/api/v1/breakdown?${ALL_TIME}&groupBy=user,model`);
  if (!res.ok) return [`HTTP ${res.status}: ${await res.text()}`];
  const body = (await res.json()) as { rows: Record<string, string | number>[] };
  const want = (requests: number, t: Totals) =>
    JSON.stringify({
      requests,
      inputTokens: Number(t.inputUncached + t.cacheRead),
      cacheReadTokens: Number(t.cacheRead),
      outputTokens: Number(t.output),
      costUsd: usd(t.costPusd),
      chargeUsd: usd(t.chargePusd),
    });
  const out: string[] = [];
  const seen = new Set<string>();
  for (const row of body.rows) {
    const k = `${row.user}\u0000${row.model}`;
    seen.add(k);
    const e = expected.get(k);
    const got = JSON.stringify({
      requests: row.requests,
      inputTokens: row.inputTokens,
      cacheReadTokens: row.cacheReadTokens,
      outputTokens: row.outputTokens,
      costUsd: row.costUsd,
      chargeUsd: row.chargeUsd,
    });
    const wanted = e ? want(e.requests, e.totals) : 'nothing';
    if (got !== wanted) out.push(`${row.user} / ${row.model}: ${got}, expected ${wanted}`);
  }
  for (const [k, e] of expected)
    if (!seen.has(k)) out.push(`${k.replace('\u0000', ' / ')}: missing, expected ${want(e.requests, e.totals)}`);
  return out;
}

/** pico-USD as the API's exact decimal string (12 decimals), computed here rather than by TokenLedger's code. */
function usd(pico: bigint): string {
  const PER_USD = 10n ** 12n;
  return `${pico / PER_USD}.${(pico % PER_USD).toString().padStart(12, '0')}`;
}

interface StoredReject {
  node: string;
  sha256: string;
  reason: string;
  path: string;
  line: number;
}

async function storedRejects(db: Client): Promise<StoredReject[]> {
  const result = await db.query<{ node: string; line_sha256: string; reason: string; path: string; line: string }>(
    'SELECT node, line_sha256, reason, path, line::text AS line FROM rejects ORDER BY node, path, byte_offset'
  );
  return result.rows.map((r) => ({
    node: r.node,
    sha256: r.line_sha256,
    reason: r.reason,
    path: r.path,
    line: Number(r.line),
  }));
}

/** Every refused line quarantined once, by the replica it was written to, with its reason; nothing else. */
function compareRejects(expected: readonly ExpectedReject[], stored: readonly StoredReject[]): string[] {
  const left = [...stored];
  const out: string[] = [];
  for (const e of expected) {
    const i = left.findIndex((s) => s.node === e.node && s.sha256 === e.sha256);
    if (i < 0) {
      out.push(`${e.label} written to ${e.node}: not quarantined (expected ${e.reason})`);
      continue;
    }
    const [s] = left.splice(i, 1);
    if (s!.reason !== e.reason) out.push(`${e.label} on ${e.node}: quarantined as ${s!.reason}, expected ${e.reason}`);
  }
  for (const s of left)
    out.push(
      `${s.node} quarantined ${s.path} line ${s.line} (${s.reason}): no such refused line was written there, or it is there twice`
    );
  return out;
}

/** A replica's reject file holds each of its ledger rejects once, and nothing else. */
function compareRejectFile(replica: Replica, own: readonly StoredReject[]): string[] {
  const inFile = new Map<string, number>();
  if (existsSync(replica.rejectsFile))
    for (const text of readFileSync(replica.rejectsFile, 'utf8').split('\n')) {
      if (!text) continue;
      const sha = (JSON.parse(text) as { sha256: string }).sha256;
      inFile.set(sha, (inFile.get(sha) ?? 0) + 1);
    }
  const out: string[] = [];
  for (const r of own) {
    const n = inFile.get(r.sha256) ?? 0;
    if (n !== 1)
      out.push(`${r.path} line ${r.line} (${r.reason}) is in the ledger and ${n} times in ${replica.rejectsFile}`);
    inFile.delete(r.sha256);
  }
  for (const [sha, n] of inFile) out.push(`a line with SHA-256 ${sha} is ${n} times in the file and not in the ledger`);
  return out;
}
