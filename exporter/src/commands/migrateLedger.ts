import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { Ledger } from '../ledger/ledger';
import { ledgerLocation, ledgerSpecOf, LedgerSpec, openLedger } from '../ledger/open';
import { toReportRow, UsageTotals } from '../ledger/queries';
import { noRows, removeSpool, UsageBatch } from '../ledger/rows';
import { asUsage, UsageError } from './args';

export const MIGRATE_LEDGER_USAGE = `Usage: tokenledger migrate-ledger --from LEDGER --to LEDGER [--node NAME] [--password-env VAR]
  Copies a single-node ledger (a DuckDB file) into another, typically the shared PostgreSQL ledger
  (postgres://user@host:port/database): every stored request with its cost as stored, and the read positions,
  self-counters and quarantined lines, which become those of --node (default: this host's name; use the
  node: of the serve that takes over). Requests already in the target are left out, so it can be re-run.
  Ends by comparing the totals of both; exit 1 if a target that was empty does not match.
  Stop the serve that writes --from first.
  --password-env  environment variable holding the PostgreSQL password (instead of one in the URL)`;

/** Rows per transaction: large enough for COPY to pay, small enough to keep memory flat. */
const CHUNK_ROWS = 50_000;

const ALL_TIME = { fromMs: 0, toMs: Date.parse('9999-12-31T23:59:59.999Z'), filters: {} };

export async function runMigrateLedger(argv: string[]): Promise<number> {
  const { values } = asUsage(() =>
    parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        node: { type: 'string' },
        'password-env': { type: 'string' },
      },
    })
  );
  if (!values.from || !values.to) throw new UsageError('--from and --to are required');
  const node = values.node ?? hostname();
  const from = ledgerSpecOf(values.from);
  const to = withPassword(ledgerSpecOf(values.to), values['password-env']);
  if (ledgerLocation(from) === ledgerLocation(to)) throw new UsageError('--from and --to name the same ledger');
  const source = await openLedger(from, { node });
  try {
    const target = await openLedger(to, { node });
    try {
      return await migrate(source, target);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

function withPassword(spec: LedgerSpec, passwordEnv: string | undefined): LedgerSpec {
  if (passwordEnv === undefined) return spec;
  if (spec.engine !== 'postgres') throw new UsageError('--password-env is for a postgres:// --to');
  const password = process.env[passwordEnv];
  if (!password) throw new UsageError(`--password-env: ${passwordEnv} is not set or empty`);
  return { ...spec, password };
}

async function totalOf(ledger: Ledger): Promise<UsageTotals> {
  return (await ledger.breakdown({ ...ALL_TIME, groupBy: [], sort: 'cost', limit: undefined })).total;
}

async function migrate(source: Ledger, target: Ledger): Promise<number> {
  const targetWasEmpty = (await totalOf(target)).requests === 0;
  let read = 0;
  let copied = 0;
  let after: string | undefined;
  let first = true;
  while (first || after !== undefined) {
    first = false;
    const page = await source.readUsage(after, CHUNK_ROWS);
    const batch = new UsageBatch(target.rowFormat, target.rowSpool);
    page.rows.forEach((r, seq) => batch.addStored(r, seq));
    const rows = batch.encoded();
    const result = await target
      .commitBatch({
        id: `migrate ${source.location} ${after ?? 'start'}`,
        rows,
        rejects: [],
        positions: [],
        counters: [],
      })
      .finally(() => removeSpool(rows));
    read += page.rows.length;
    copied += result.inserted;
    after = page.next;
    process.stderr.write(`\r${read} request(s) read, ${copied} copied`);
  }
  process.stderr.write('\n');
  const targetCounters = new Map((await target.counters()).map((c) => [`${c.name}\u0000${c.label}`, c.value]));
  await target.commitBatch({
    id: `migrate ${source.location} state`,
    rows: noRows(target.rowFormat),
    rejects: (await source.rejectsAfter(0)).map((r) => r.reject),
    positions: await source.readPositions(),
    // Counters are raised to the source's values, never past them: a re-run adds nothing.
    counters: (await source.counters()).map((c) => ({
      name: c.name,
      label: c.label,
      delta: Math.max(0, c.value - (targetCounters.get(`${c.name}\u0000${c.label}`) ?? 0)),
    })),
  });
  const [sourceTotal, targetTotal] = [toReportRow(await totalOf(source)), toReportRow(await totalOf(target))];
  const line = (name: string, t: Record<string, string | number>) =>
    `  ${name.padEnd(8)} ${t.requests} requests, ${t.inputTokens} input and ${t.outputTokens} output tokens, cost ${t.costUsd} USD, charge ${t.chargeUsd} USD`;
  process.stdout.write(
    [
      `migrate-ledger: ${source.location} -> ${target.location} (node ${target.node})`,
      `  read     ${read} request(s); copied ${copied}, already there ${read - copied}`,
      line('from', sourceTotal),
      line('to', targetTotal),
      '',
    ].join('\n')
  );
  if (targetWasEmpty && JSON.stringify(sourceTotal) !== JSON.stringify(targetTotal)) {
    process.stderr.write('tokenledger migrate-ledger: the totals differ, though the target was empty; see above\n');
    return 1;
  }
  return 0;
}
