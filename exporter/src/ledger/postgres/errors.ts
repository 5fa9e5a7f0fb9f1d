import { LedgerError, LedgerUnavailableError } from '../ledger';

/** Errors of node-postgres carry a SQLSTATE (`code`) from the server, or a Node error code from the socket. */
interface PgLikeError {
  code?: string;
  message?: string;
}

/** Socket-level codes, and SQLSTATEs that mean the server is going away, starting, or full: try again later. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
]);

/** node-postgres' own words for a connection that ended or never came (these carry no code). */
const UNAVAILABLE_TEXT =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i;

function isUnavailable(e: PgLikeError): boolean {
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true; // 08: connection_exception
  return UNAVAILABLE_TEXT.test(e.message ?? '');
}

/** A deadlock or serialization failure: PostgreSQL rolled the transaction back, and it can run again at once. */
export function isRetryableConflict(e: unknown): boolean {
  const code = (e as PgLikeError).code;
  return code === '40P01' || code === '40001';
}

/** A unique index refused a row (23505, unique_violation): the row, or one with its key, is stored already. */
export function isUniqueViolation(e: unknown): boolean {
  return (e as PgLikeError).code === '23505';
}

/** A row for a month whose partition is not there (23514, "no partition of relation ... found for row"). */
export function isMissingPartition(e: unknown): boolean {
  const err = e as PgLikeError;
  return err.code === '23514' && /no partition of relation/.test(err.message ?? '');
}

/**
 * The ledger error for what node-postgres threw while doing `what`: unavailable (worth retrying) or not, with
 * one clear sentence for what a user gets wrong (the password, the database's name). Only the first line of
 * the server's message is kept; its DETAIL, which can quote row values, never is.
 */
export function classify(location: string, what: string, e: unknown): LedgerError {
  if (e instanceof LedgerError) return e;
  const err = e as PgLikeError;
  const first = String(err.message ?? e).split('\n')[0];
  switch (err.code) {
    case '28P01':
    case '28000':
      return new LedgerError(
        `${location}: ${what}: PostgreSQL refused the login (${first}); check the user and the password (ledger.password_env)`
      );
    case '3D000':
      return new LedgerError(`${location}: ${what}: ${first}; create it first (createdb), or fix the URL`);
  }
  if (isUnavailable(err))
    return new LedgerUnavailableError(`${location}: ${what}: PostgreSQL cannot be reached (${first})`);
  return new LedgerError(`${location}: ${what}: ${first}`);
}
