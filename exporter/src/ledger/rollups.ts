import { Dimension } from './queries';
import { DIMENSION_COLUMNS, HOUR_MS, ROLLUP_KEY, ROLLUP_MEASURES, ROW_MEASURES, RollupMeasure } from './schema';

/**
 * The rollup levels of a ledger: tables of ROLLUP_MEASURES summed per UTC hour or day and a key, each kept in
 * the transaction of the rows it sums (a batch's commit, a re-pricing's chunk, retention), so a query answered
 * from any of them equals a scan of `usage`. A query reads the coarsest level its range, grouping and filters
 * allow (sql/usageQueries.ts): a 30-day breakdown by user reads 30 days x keys rows of `usage_daily` instead
 * of 720 hours x keys of `usage_hourly`; an hourly series that neither groups nor filters by user or key reads
 * `usage_hourly_teams`, which has no row per user and key.
 */

export const DAY_MS = 86_400_000;

export type RollupKeyColumn = (typeof ROLLUP_KEY)[number];

export interface RollupLevel {
  table: string;
  /** Its time column: the first instant (UTC) of the hour or day a row sums. */
  time: 'hour' | 'day';
  grainMs: number;
  /** The dimension columns a row is kept per; a query filtering or grouping by any other cannot read it. */
  key: readonly RollupKeyColumn[];
}

export const HOURLY: RollupLevel = { table: 'usage_hourly', time: 'hour', grainMs: HOUR_MS, key: ROLLUP_KEY };
export const DAILY: RollupLevel = { table: 'usage_daily', time: 'day', grainMs: DAY_MS, key: ROLLUP_KEY };
/** Per hour, team, tier and model: the unfiltered series, and those by team, tier or model. */
export const HOURLY_TEAMS: RollupLevel = {
  table: 'usage_hourly_teams',
  time: 'hour',
  grainMs: HOUR_MS,
  key: ['team', 'tier', 'model'],
};

/** Every level, the full-key hourly one first (the one the others are migrated from). */
export const ROLLUP_LEVELS: readonly RollupLevel[] = [HOURLY, DAILY, HOURLY_TEAMS];
/** The levels coarser than the hourly one (added by DuckDB schema 5, PostgreSQL schema 3). */
export const COARSE_LEVELS: readonly RollupLevel[] = [DAILY, HOURLY_TEAMS];

/**
 * For each grain, the level with the fewest key columns that holds every dimension `needed` (grouped, filtered
 * or scoped by), coarsest grain first; only grains that divide `stepMs` (a series' step) when there is one.
 */
export function levelsFor(needed: readonly Dimension[], stepMs?: number): RollupLevel[] {
  const columns = needed.map((d) => DIMENSION_COLUMNS[d]);
  const grains = [...new Set(ROLLUP_LEVELS.map((l) => l.grainMs))].sort((a, b) => b - a);
  const out: RollupLevel[] = [];
  for (const grain of grains) {
    if (stepMs !== undefined && stepMs % grain !== 0) continue;
    const fitting = ROLLUP_LEVELS.filter((l) => l.grainMs === grain && columns.every((c) => l.key.includes(c)));
    fitting.sort((a, b) => a.key.length - b.key.length);
    if (fitting[0]) out.push(fitting[0]);
  }
  return out;
}

/** A part of a time range and where it is read: a rollup level (whole hours or days) or `usage` (undefined). */
export interface RangePart {
  fromMs: number;
  toMs: number;
  level: RollupLevel | undefined;
}

/**
 * Cuts [fromMs, toMs) into the whole units of the coarsest level, then the edges into the whole units of the
 * next, and what is left into `usage` parts: a range from 10:30 on day 1 to 05:00 on day 9 is usage to 11:00,
 * hourly rows to day 2, daily rows to day 9 and hourly rows to 05:00. Empty parts are left out.
 */
export function rangeParts(fromMs: number, toMs: number, levels: readonly RollupLevel[]): RangePart[] {
  if (fromMs >= toMs) return [];
  const [level, ...finer] = levels;
  if (!level) return [{ fromMs, toMs, level: undefined }];
  const first = Math.ceil(fromMs / level.grainMs) * level.grainMs;
  const last = Math.floor(toMs / level.grainMs) * level.grainMs;
  if (last <= first) return rangeParts(fromMs, toMs, finer);
  return [...rangeParts(fromMs, first, finer), { fromMs: first, toMs: last, level }, ...rangeParts(last, toMs, finer)];
}

/** What a table to add to a rollup level holds: the time of its rows at a level's grain, and each measure of a row. */
export interface RollupSource {
  time(grain: RollupLevel['time']): string;
  measures: Record<RollupMeasure, string>;
}

/** Usage rows. */
export const USAGE_ROWS: RollupSource = {
  time: (grain) => `date_trunc('${grain}', start_time)`,
  measures: ROW_MEASURES,
};

/** Rows summed per hour already, with an `hour` and a column per rollup measure (a batch's groups). */
export const SUMMED_ROWS: RollupSource = {
  time: (grain) => (grain === 'hour' ? 'hour' : `date_trunc('${grain}', hour)`),
  measures: Object.fromEntries(ROLLUP_MEASURES.map((m) => [m, m])) as RollupSource['measures'],
};

/** The rows of `table` summed per time and key of `level` (the SELECT of an addition or a shift). */
function sumsOf(level: RollupLevel, table: string, rows: RollupSource): string {
  const time = rows.time(level.time);
  const key = level.key.join(', ');
  const sums = ROLLUP_MEASURES.map((m) => `coalesce(sum(${rows.measures[m]}), 0) AS ${m}`).join(', ');
  return `SELECT ${time} AS ${level.time}, ${key}, ${sums} FROM ${table} GROUP BY ${time}, ${key}`;
}

/** Usage rows of `table` summed per hour and full key: what every level can be added from (SUMMED_ROWS). */
export const hourlySumsSql = (table: string): string => sumsOf(HOURLY, table, USAGE_ROWS);

/**
 * Adds the rows of `table` to one level, in key order so that two writers adding to the same rollup rows lock
 * them in the same order (PostgreSQL: no deadlock, one waits).
 */
export function addToLevelSql(level: RollupLevel, table: string, rows: RollupSource): string {
  const key = [level.time, ...level.key].join(', ');
  const updates = ROLLUP_MEASURES.map((m) => `${m} = ${level.table}.${m} + excluded.${m}`).join(', ');
  return `INSERT INTO ${level.table} (${key}, ${ROLLUP_MEASURES.join(', ')})
    ${sumsOf(level, table, rows)} ORDER BY ${key}
    ON CONFLICT (${key}) DO UPDATE SET ${updates}`;
}

/** Adds the rows of `table` to every level, each level in turn (the same order in every writer). */
export const addToRollupsSql = (table: string, rows: RollupSource): string =>
  ROLLUP_LEVELS.map((l) => addToLevelSql(l, table, rows)).join(';\n');

/**
 * Adds (`+`) or takes away (`-`) the measures of the usage rows `rows` (a FROM item) to or from their rows of
 * every level, which exist (a row's rollup rows are added with it).
 */
export function shiftRollupsSql(sign: '+' | '-', rows: string): string {
  return ROLLUP_LEVELS.map((level) => {
    const sets = ROLLUP_MEASURES.map((m) => `${m} = ${level.table}.${m} ${sign} s.${m}`).join(', ');
    return `UPDATE ${level.table} SET ${sets}
    FROM (${sumsOf(level, rows, USAGE_ROWS)}) s
    WHERE ${[level.time, ...level.key].map((k) => `${level.table}.${k} = s.${k}`).join(' AND ')}`;
  }).join(';\n');
}

/** Fills a coarse level, empty, from the hourly rollup (a migration: `usage` is not read). */
export const fillFromHourlySql = (level: RollupLevel): string =>
  `INSERT INTO ${level.table} (${[level.time, ...level.key, ...ROLLUP_MEASURES].join(', ')})
    ${sumsOf(level, HOURLY.table, SUMMED_ROWS)}`;
