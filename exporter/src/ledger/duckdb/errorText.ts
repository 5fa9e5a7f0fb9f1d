import { USAGE_COLUMNS } from '../schema';

/** Quoted words an error may keep: our column names and SQL type names. */
const KEPT_WORDS = new Set<string>([...USAGE_COLUMNS.map((c) => c.name), 'seq']);
const TYPE_NAME = /^[A-Z][A-Z0-9_]*(\(\d+(,\s*\d+)?\))?$/;
/** An absolute path (of the ledger, its batch file, its WAL): where a fault is, kept. */
const PATH = /^\/[^\t\n]*$/;

/**
 * A DuckDB error message without the data it may quote, for the log: DuckDB quotes an input row whole
 * ("Original Line: ..." from the CSV reader of a batch file: user, key alias, key hash, team, tokens, cost) and
 * values it could not convert. Keeps the first two lines that are not a quoted row, with every quoted text
 * replaced by "…" unless it is one of our column names, a type name or an absolute path.
 */
export function withoutData(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Original Line:/i.test(l) && !l.includes('\t'));
  return lines
    .slice(0, 2)
    .join('; ')
    .replace(/(["'])(.*?)\1/g, (quoted, q: string, text: string) =>
      KEPT_WORDS.has(text) || TYPE_NAME.test(text) || PATH.test(text) ? quoted : `${q}…${q}`
    );
}
