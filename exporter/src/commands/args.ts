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

export function parseIsoTime(value: string | undefined, flag: string): number {
  if (value === undefined) throw new UsageError(`${flag} is required (an ISO date or time, e.g. 2025-01-01 or 2025-01-01T12:00:00Z)`);
  const ms = Date.parse(/T/.test(value) ? (/(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`) : `${value}T00:00:00Z`);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag}: not an ISO date or time: ${JSON.stringify(value)}`);
  return ms;
}
