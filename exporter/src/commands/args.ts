import { parseIsoTime } from '../isoTime';

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** Runs node's parseArgs, turning its errors (unknown flag, missing value) into usage errors. */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A required `--from`/`--to` style flag: a strict ISO 8601 date or time, UTC unless it gives an offset. */
export function parseTimeFlag(value: string | undefined, flag: string): number {
  if (value === undefined)
    throw new UsageError(`${flag} is required (an ISO date or time, e.g. 2025-01-01 or 2025-01-01T12:00:00Z)`);
  const t = parseIsoTime(value);
  if (!t.ok) throw new UsageError(`${flag}: ${t.problem}`);
  return t.ms;
}
