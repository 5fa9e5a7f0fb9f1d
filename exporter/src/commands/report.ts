import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { ledgerSpecOf, openLedger } from '../ledger/open';
import { Dimension, DIMENSIONS, isDimension, SORT_KEYS, SortKey, toReportRow } from '../ledger/queries';
import { toCsv } from '../csv';
import { asUsage, parseTimeFlag, UsageError } from './args';

export const REPORT_USAGE = `Usage: tokenledger report --db FILE --from ISO --to ISO --group-by user[,model,...] [--format json|csv|table]
                         [--sort cost|charge|tokens|requests] [--limit N] [--user U ...] [--model M ...] [--team T ...] [--tier T ...] [--api-key K ...]
  Totals per group for [from, to) (from inclusive, to exclusive, UTC). Dimensions: ${DIMENSIONS.join(', ')};
  --group-by takes a comma-separated list and may be repeated (each dimension once).
  costUsd and chargeUsd are exact decimal strings. --db: a DuckDB file, or the shared ledger's postgres:// URL.`;

type Row = Record<string, string | number>;

/** The groups, then, under a rule, their total (`totalLabel` in the first column). */
function toTable(
  rows: readonly Row[],
  total: Row,
  totalLabel: string,
  columns: readonly string[],
  labelColumn: string
): string {
  const totalRow: Row = { ...total, [labelColumn]: totalLabel };
  const all = [...rows, totalRow];
  const widths = columns.map((c) => Math.max(c.length, ...all.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < columns.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
  const rule = line(widths.map((w) => '-'.repeat(w)));
  const cells = (r: Row) => line(columns.map((c) => String(r[c] ?? '')));
  return (
    [line([...columns]), rule, ...(rows.length ? [...rows.map(cells), rule] : []), cells(totalRow)].join('\n') + '\n'
  );
}

export async function runReport(argv: string[]): Promise<number> {
  const { values } = asUsage(() =>
    parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'group-by': { type: 'string', multiple: true },
        format: { type: 'string' },
        sort: { type: 'string' },
        limit: { type: 'string' },
        user: { type: 'string', multiple: true },
        model: { type: 'string', multiple: true },
        team: { type: 'string', multiple: true },
        tier: { type: 'string', multiple: true },
        'api-key': { type: 'string', multiple: true },
      },
    })
  );
  if (!values.db) throw new UsageError('--db is required');
  const fromMs = parseTimeFlag(values.from, '--from');
  const toMs = parseTimeFlag(values.to, '--to');
  if (fromMs >= toMs) throw new UsageError('--from must be before --to');
  // `--group-by user,model` or `--group-by user --group-by model`, in that order (as the API's groupBy).
  const groupBy = (values['group-by'] ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const g of groupBy)
    if (!isDimension(g))
      throw new UsageError(`--group-by: unknown dimension ${JSON.stringify(g)}; expected ${DIMENSIONS.join(', ')}`);
  const twice = groupBy.find((g, i) => groupBy.indexOf(g) !== i);
  if (twice !== undefined) throw new UsageError(`--group-by: dimension ${JSON.stringify(twice)} is given twice`);
  const format = values.format ?? 'table';
  if (!['json', 'csv', 'table'].includes(format))
    throw new UsageError(`--format: expected json, csv or table, got ${JSON.stringify(format)}`);
  const sort = (values.sort ?? 'cost') as SortKey;
  if (!SORT_KEYS.includes(sort)) throw new UsageError(`--sort: expected one of ${SORT_KEYS.join(', ')}`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new UsageError('--limit: expected a positive integer');
  const filters: Partial<Record<Dimension, string[]>> = {
    user: values.user,
    model: values.model,
    team: values.team,
    tier: values.tier,
    apiKey: values['api-key'],
  };

  const ledger = await openLedger(ledgerSpecOf(values.db), { node: hostname(), readOnly: true });
  try {
    const result = await ledger.breakdown({ fromMs, toMs, groupBy: groupBy as Dimension[], filters, sort, limit });
    const rows = result.rows.map((r) => toReportRow(r, r.dims));
    const total = toReportRow(result.total);
    if (format === 'json') process.stdout.write(`${JSON.stringify({ rows, total }, null, 2)}\n`);
    else {
      const columns = [...groupBy, ...Object.keys(total)];
      // CSV is one row per group, for spreadsheets and scripts: a total among them would be summed with them
      // (and could not be told from a group named "TOTAL"). The table prints it under a rule, saying what it
      // covers when --limit hides groups.
      const label = groupBy[0];
      const totalLabel = limit !== undefined ? 'total, all groups' : 'total';
      if (label === undefined)
        process.stdout.write(format === 'csv' ? toCsv([total], columns) : toTable([], total, '', columns, ''));
      else
        process.stdout.write(
          format === 'csv' ? toCsv(rows, columns) : toTable(rows, total, totalLabel, columns, label)
        );
    }
    return 0;
  } finally {
    await ledger.close();
  }
}
