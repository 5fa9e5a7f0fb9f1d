import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { LedgerBusyError, LedgerError } from '../ledger/ledger';
import { ledgerSpecOf, openLedger } from '../ledger/open';
import { RepricedModelJson, repriceRangeWith, repriceRunJson, RepriceRunJson } from '../ledger/reprice';
import { loadPriceBooks } from '../pricing/loadPriceBook';
import { Pricer } from '../pricing/pricer';
import { asUsage, parseTimeFlag, UsageError } from './args';

const TOKEN_ENV = 'TOKENLEDGER_API_TOKEN';

export const REPRICE_USAGE = `Usage: tokenledger reprice --from ISO --to ISO (--db LEDGER --prices FILE [--prices FILE ...] | --serve URL)
  Prices every request that started in [from, to) again with the current price book (a price corrected for a
  past period), prints the old and new totals per model, and records the run in the ledger (reprice_runs: when,
  the range, the book's version, old and new totals per model). A request the book cannot price keeps its cost.
  --db      a DuckDB file, or the shared ledger's postgres:// URL, written directly. A DuckDB file that a running
            serve holds cannot be: use --serve. On PostgreSQL the replicas' cost counters keep their old values
            until they restart; through --serve, that replica's follow (the fleet's sum is then right).
  --serve   the running serve's address (http://host:port): it re-prices with its own book and its cost
            counters follow. Needs an admin API token, read from $${TOKEN_ENV}.`;

/** The server refused, or could not be reached: exit 1 with its reason. */
export class RepriceError extends Error {}

export async function runReprice(argv: string[]): Promise<number> {
  const { values } = asUsage(() =>
    parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        db: { type: 'string' },
        prices: { type: 'string', multiple: true },
        serve: { type: 'string' },
      },
    })
  );
  const fromMs = parseTimeFlag(values.from, '--from');
  const toMs = parseTimeFlag(values.to, '--to');
  if (fromMs >= toMs) throw new UsageError('--from must be before --to');
  if ((values.db === undefined) === (values.serve === undefined))
    throw new UsageError('give either --db (with --prices) or --serve');
  let run: RepriceRunJson;
  if (values.serve !== undefined) {
    if (values.prices?.length) throw new UsageError('--prices is for --db; --serve uses the running book');
    run = await throughServe(values.serve, fromMs, toMs);
  } else {
    if (!values.prices?.length) throw new UsageError('--prices is required with --db');
    run = await directly(values.db!, values.prices, fromMs, toMs);
  }
  process.stdout.write(runTable(run));
  return 0;
}

async function directly(db: string, prices: string[], fromMs: number, toMs: number): Promise<RepriceRunJson> {
  const pricer = new Pricer(loadPriceBooks(prices));
  for (const w of pricer.book.warnings) process.stderr.write(`tokenledger reprice: ${w}\n`);
  const ledger = await openLedger(ledgerSpecOf(db), { node: hostname() }).catch((e: unknown) => {
    if (e instanceof LedgerBusyError)
      throw new LedgerError(
        `${db}: a running \`tokenledger serve\` holds this ledger; re-price through it, so its metrics follow: tokenledger reprice --serve http://<its listen address> --from ... --to ... (an admin token in $${TOKEN_ENV}), or stop it first`
      );
    throw e;
  });
  try {
    return repriceRunJson(await repriceRangeWith(ledger, pricer, { fromMs, toMs }));
  } finally {
    await ledger.close();
  }
}

async function throughServe(base: string, fromMs: number, toMs: number): Promise<RepriceRunJson> {
  const token = process.env[TOKEN_ENV];
  if (!token) throw new UsageError(`--serve needs an admin API token in $${TOKEN_ENV}`);
  const url = `${base.replace(/\/+$/, '')}/api/v1/reprice?from=${fromMs}&to=${toMs}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new RepriceError(`${base}: cannot reach serve (${(e as Error).message})`);
  }
  const text = await res.text();
  if (!res.ok) {
    let reason = text;
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // Not the API's JSON (a proxy's page?): its text is the reason.
    }
    throw new RepriceError(`${base}: serve answered ${res.status}: ${reason}`);
  }
  return JSON.parse(text) as RepriceRunJson;
}

/** Old and new totals per model, then the total under a rule, then what was recorded. */
function runTable(run: RepriceRunJson): string {
  const columns = ['model', 'requests', 'repriced', 'oldCostUsd', 'newCostUsd', 'differenceUsd'] as const;
  const rows: RepricedModelJson[] = [...run.models, { model: 'total', ...run.total }];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = line(widths.map((w) => '-'.repeat(w)));
  const body = rows.map((r) => line(columns.map((c) => String(r[c]))));
  return [
    `reprice ${run.from} to ${run.to} with price book ${run.priceVersion}`,
    line([...columns]),
    rule,
    ...body.slice(0, -1),
    rule,
    body[body.length - 1]!,
    `recorded as the run of ${run.at} by node ${run.node}`,
    '',
  ].join('\n');
}
