import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { withDuckDb } from '../duckdbFile';
import { Book, expectedCost, Request, Where } from './book';

/**
 * The verdict of a fault run, read from the ledger after a graceful stop and compared with the test's books:
 * 0 lost, 0 duplicated, every value exact, every refused line quarantined once with the right reason at the
 * right line (in the ledger's `rejects` table and in the reject file).
 */
export interface Verdict {
  /** Empty when the promise held. Each entry names request ids or lines, where they were written and after which fault. */
  problems: string[];
  counts: {
    requestsWritten: number;
    replaysWritten: number;
    expectedStored: number;
    stored: number;
    expectedQuarantined: number;
    quarantined: number;
    lost: number;
    duplicated: number;
  };
  totals: { expected: Totals; ledger: Totals };
}

export interface Totals {
  inputUncached: bigint;
  cacheRead: bigint;
  output: bigint;
  costPusd: bigint;
  chargePusd: bigint;
}

interface StoredRow {
  count: number;
  inputUncached: bigint;
  cacheRead: bigint;
  output: bigint;
  costPusd: bigint;
  chargePusd: bigint;
  users: string[];
}

interface StoredReject {
  path: string;
  line: number;
  offset: number;
  reason: string;
  message: string;
}

/** How many examples each kind of problem lists before it only counts. */
const EXAMPLES = 12;

/** `describeFault(n)`: words for fault number n (1-based), to say what preceded a loss. */
export async function verdict(
  ledgerPath: string,
  rejectsFile: string,
  book: Book,
  describeFault: (n: number) => string
): Promise<Verdict> {
  const { rows, rejects } = await readLedger(ledgerPath);
  const ledgerTotals = zeroTotals();
  let stored = 0;
  for (const row of rows.values()) {
    stored += row.count;
    addTotals(ledgerTotals, row);
  }
  const problems: string[] = [];
  const report = (what: string, items: string[]) => {
    if (!items.length) return;
    problems.push(
      `${what}: ${items.length}${items.length > EXAMPLES ? ` (first ${EXAMPLES})` : ''}`,
      ...items.slice(0, EXAMPLES).map((i) => `  ${i}`)
    );
  };
  const at = (w: Where) =>
    `${w.file} line ${w.line} (offset ${w.offset}) after ${w.afterFault ? `fault #${w.afterFault} ${describeFault(w.afterFault)}` : 'no fault'}`;
  const where = (r: Request) => r.written.map(at).join('; replayed at ');

  const lost: Request[] = [];
  const duplicated: string[] = [];
  const wrongValues: string[] = [];
  const storedRefused: string[] = [];
  const notStoredButStored: string[] = [];
  const expected: Totals = zeroTotals();
  let expectedStored = 0;
  let replaysWritten = 0;
  let requestsWritten = 0;
  // Rejects by family:line:offset; matched and removed below, what remains was not expected.
  const rejectsAt = new Map<string, StoredReject[]>();
  for (const j of rejects) pushTo(rejectsAt, rejectKey(familyOf(j.path), j.line, j.offset), j);
  const takeReject = (w: Where): StoredReject | undefined => {
    const list = rejectsAt.get(rejectKey(w.family, w.line, w.offset));
    return list?.shift();
  };
  const missingRejects: string[] = [];
  const wrongReason: string[] = [];

  for (const r of book.requests.values()) {
    if (!r.written.length) continue;
    requestsWritten++;
    replaysWritten += r.written.length - 1;
    const row = rows.get(r.id);
    rows.delete(r.id);
    const o = r.outcome;
    if (o.kind === 'notStored') {
      if (row)
        notStoredButStored.push(
          `${r.id} (${at(r.written[0]!)}) was stored, though written before serve started with start_at: end`
        );
      continue;
    }
    if (o.kind === 'quarantine') {
      const reject = takeReject(r.written[0]!);
      if (row)
        storedRefused.push(
          `${r.id} (${r.label}) was stored (${row.count}x, user ${JSON.stringify(row.users[0]!.slice(0, 40))}), expected a ${o.reason} reject at ${at(r.written[0]!)}`
        );
      if (reject && reject.reason !== o.reason)
        wrongReason.push(
          `${at(r.written[0]!)} (${r.label}): quarantined as ${reject.reason} (${reject.message}), expected ${o.reason}`
        );
      if (!reject && !row)
        missingRejects.push(
          `${r.id} (${r.label}) at ${at(r.written[0]!)}: neither stored nor quarantined (expected ${o.reason})`
        );
      continue;
    }
    expectedStored++;
    const cost = expectedCost(r);
    addTotals(expected, { ...mapTokens(r), ...cost });
    if (!row) {
      lost.push(r);
      continue;
    }
    if (row.count > 1) duplicated.push(`${r.id} stored ${row.count} times (${where(r)})`);
    const want = { ...mapTokens(r), ...cost };
    const got = {
      inputUncached: row.inputUncached / BigInt(row.count),
      cacheRead: row.cacheRead / BigInt(row.count),
      output: row.output / BigInt(row.count),
      costPusd: row.costPusd / BigInt(row.count),
      chargePusd: row.chargePusd / BigInt(row.count),
    };
    const diff = (Object.keys(want) as (keyof Totals)[])
      .filter((k) => want[k] !== got[k])
      .map((k) => `${k} ${got[k]} (expected ${want[k]})`);
    if (o.kind === 'store' && row.users[0] !== r.user)
      diff.push(`user ${JSON.stringify(row.users[0])} (expected ${JSON.stringify(r.user)})`);
    if (diff.length) wrongValues.push(`${r.id}: ${diff.join(', ')}`);
  }
  for (const f of book.refused) {
    const reject = takeReject(f.where);
    if (!reject) missingRejects.push(`${at(f.where)} (${f.label}): not quarantined (expected ${f.reason})`);
    else if (reject.reason !== f.reason)
      wrongReason.push(
        `${at(f.where)} (${f.label}): quarantined as ${reject.reason} (${reject.message}), expected ${f.reason}`
      );
  }
  const unexpectedRejects = [...rejectsAt.values()]
    .flat()
    .map(
      (j) =>
        `${j.path} line ${j.line} (offset ${j.offset}): ${j.reason} (${j.message}): no refused line was written there${rejectedElsewhere(j, rejects) ? ' (the same line is quarantined again: a duplicate)' : ''}`
    );
  const unexpectedRows = [...rows.keys()].map(
    (id) => `${id} is in the ledger but was never written as a valid request`
  );

  report('LOST (written, never stored, no reject)', summariseLost(lost, at));
  report('DUPLICATED', duplicated);
  report('WRONG VALUES', wrongValues);
  report('STORED THOUGH IT MUST BE REFUSED', storedRefused);
  report('STORED THOUGH WRITTEN BEFORE START (start_at: end)', notStoredButStored);
  report('NOT QUARANTINED', missingRejects);
  report('QUARANTINED WITH THE WRONG REASON', wrongReason);
  report('UNEXPECTED REJECTS (wrong line or offset, or quarantined twice)', unexpectedRejects);
  report('UNEXPECTED LEDGER ROWS', unexpectedRows);
  report('REJECT FILE DISAGREES WITH THE LEDGER', compareRejectFile(rejectsFile, rejects));

  if (!problems.length && totalsText(ledgerTotals) !== totalsText(expected))
    problems.push(`TOTALS: ledger ${totalsText(ledgerTotals)}, expected ${totalsText(expected)}`);
  return {
    problems,
    counts: {
      requestsWritten,
      replaysWritten,
      expectedStored,
      stored,
      expectedQuarantined:
        book.refused.length +
        [...book.requests.values()].filter((r) => r.written.length && r.outcome.kind === 'quarantine').length,
      quarantined: rejects.length,
      lost: lost.length,
      duplicated: duplicated.length,
    },
    totals: { expected, ledger: ledgerTotals },
  };
}

async function readLedger(path: string): Promise<{ rows: Map<string, StoredRow>; rejects: StoredReject[] }> {
  return withDuckDb(path, async (db) => {
    const columns = async (sql: string) => (await db.runAndReadAll(sql)).getColumnsObjectJS();
    const u =
      await columns(`SELECT record_key, count(*)::VARCHAR AS n, sum(input_uncached)::VARCHAR AS iu, sum(cache_read)::VARCHAR AS cr, sum(output)::VARCHAR AS out,
      coalesce(sum(cost_pusd), 0)::VARCHAR AS cost, coalesce(sum(charge_pusd), 0)::VARCHAR AS charge, list(DISTINCT user_id) AS users FROM usage GROUP BY record_key`);
    const rows = new Map<string, StoredRow>();
    const keys = u.record_key as string[];
    for (let i = 0; i < keys.length; i++) {
      const id = keys[i]!.slice(keys[i]!.indexOf(':') + 1);
      rows.set(id, {
        count: Number(u.n![i]),
        inputUncached: BigInt(u.iu![i] as string),
        cacheRead: BigInt(u.cr![i] as string),
        output: BigInt(u.out![i] as string),
        costPusd: BigInt(u.cost![i] as string),
        chargePusd: BigInt(u.charge![i] as string),
        users: u.users![i] as string[],
      });
    }
    const j = await columns(
      `SELECT path, line::VARCHAR AS line, byte_offset::VARCHAR AS off, reason, message FROM rejects ORDER BY path, byte_offset`
    );
    const rejects: StoredReject[] = (j.path as string[]).map((path, i) => ({
      path,
      line: Number(j.line![i]),
      offset: Number(j.off![i]),
      reason: j.reason![i] as string,
      message: j.message![i] as string,
    }));
    return { rows, rejects };
  });
}

/** Every ledger reject must be in the reject file once, and nothing else. */
function compareRejectFile(file: string, rejects: StoredReject[]): string[] {
  const inFile = new Map<string, number>();
  if (existsSync(file)) {
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (!text) continue;
      const j = JSON.parse(text) as { file: string; offset: number };
      const k = `${j.file}@${j.offset}`;
      inFile.set(k, (inFile.get(k) ?? 0) + 1);
    }
  }
  const out: string[] = [];
  for (const r of rejects) {
    const k = `${r.path}@${r.offset}`;
    const n = inFile.get(k) ?? 0;
    if (n !== 1) out.push(`${r.path} line ${r.line} (${r.reason}) is in the ledger and ${n} times in ${file}`);
    inFile.delete(k);
  }
  for (const [k, n] of inFile) out.push(`${k} is ${n} times in ${file} and not in the ledger`);
  return out;
}

/** Lost requests as runs of consecutive lines of one file written after the same fault, then every id. */
function summariseLost(lost: Request[], at: (w: Where) => string): string[] {
  const runs: { first: Where; last: Where; ids: string[] }[] = [];
  // One file name after one fault is one generation of that file (a truncation or a new file is a fault).
  const order = (w: Where) => `${w.file}\0${String(w.afterFault).padStart(9, '0')}`;
  const sorted = lost
    .map((r) => ({ r, w: r.written[0]! }))
    .sort((a, b) => (order(a.w) === order(b.w) ? a.w.line - b.w.line : order(a.w) < order(b.w) ? -1 : 1));
  for (const { r, w } of sorted) {
    const run = runs[runs.length - 1];
    if (run && run.last.file === w.file && run.last.afterFault === w.afterFault && w.line <= run.last.line + 1 + 5) {
      run.last = w;
      run.ids.push(r.id);
    } else runs.push({ first: w, last: w, ids: [r.id] });
  }
  return runs.map(
    (run) =>
      `${run.ids.length} request(s) ${run.ids.length > 3 ? `${run.ids.slice(0, 3).join(', ')}, ...` : run.ids.join(', ')} written to ${at(run.first)}${run.ids.length > 1 ? ` .. line ${run.last.line}` : ''}`
  );
}

export function mapTokens(r: Request): Pick<Totals, 'inputUncached' | 'cacheRead' | 'output'> {
  return {
    inputUncached: BigInt(r.tokens.inputUncached),
    cacheRead: BigInt(r.tokens.cacheRead),
    output: BigInt(r.tokens.output),
  };
}

export function zeroTotals(): Totals {
  return { inputUncached: 0n, cacheRead: 0n, output: 0n, costPusd: 0n, chargePusd: 0n };
}

export function addTotals(to: Totals, t: Totals): void {
  to.inputUncached += t.inputUncached;
  to.cacheRead += t.cacheRead;
  to.output += t.output;
  to.costPusd += t.costPusd;
  to.chargePusd += t.chargePusd;
}

export function totalsText(t: Totals): string {
  return `input_uncached ${t.inputUncached}, cache_read ${t.cacheRead}, output ${t.output}, cost ${t.costPusd} pUSD, charge ${t.chargePusd} pUSD`;
}

/** a.log.3 -> a: the files of one log, whatever name rotation gave them. */
function familyOf(path: string): string {
  const name = basename(path);
  return name.slice(0, name.indexOf('.log'));
}

function rejectKey(family: string, line: number, offset: number): string {
  return `${family}:${line}:${offset}`;
}

function rejectedElsewhere(j: StoredReject, all: StoredReject[]): boolean {
  return all.some(
    (o) => o !== j && familyOf(o.path) === familyOf(j.path) && o.offset === j.offset && o.line === j.line
  );
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
