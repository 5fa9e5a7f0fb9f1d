import { LedgerError, LedgerUnavailableError } from '../ledger';
import { classify, isMissingPartition, isRetryableConflict, isUniqueViolation } from './errors';

/** An error as node-postgres throws one: a message, and a SQLSTATE or socket code. */
const pgError = (code: string | undefined, message: string) => Object.assign(new Error(message), { code });

describe('PostgreSQL errors', () => {
  it('tells a deadlock or serialization failure, a unique violation and a missing partition by their SQLSTATE', () => {
    expect(isRetryableConflict(pgError('40P01', 'deadlock detected'))).toBe(true);
    expect(isRetryableConflict(pgError('40001', 'could not serialize access'))).toBe(true);
    expect(isRetryableConflict(pgError('40002', 'x'))).toBe(false);
    expect(isRetryableConflict(pgError(undefined, '40001'))).toBe(false);
    expect(isUniqueViolation(pgError('23505', 'duplicate key'))).toBe(true);
    expect(isUniqueViolation(pgError('23514', 'duplicate key'))).toBe(false);
    expect(isMissingPartition(pgError('23514', 'no partition of relation "usage" found for row'))).toBe(true);
    expect(isMissingPartition(pgError('23514', 'new row violates check constraint "c"'))).toBe(false);
    expect(isMissingPartition(pgError('23505', 'no partition of relation "usage" found for row'))).toBe(false);
    expect(isMissingPartition({ code: '23514' })).toBe(false);
  });

  it('keeps a ledger error as it is', () => {
    const e = new LedgerUnavailableError('already said');
    expect(classify('db', 'commit', e)).toBe(e);
  });

  it('says what to check for a refused login or a missing database, first line only', () => {
    for (const code of ['28P01', '28000']) {
      const e = classify('postgres://h/db', 'connect', pgError(code, 'password authentication failed\nDETAIL: x'));
      expect(e).toBeInstanceOf(LedgerError);
      expect(e).not.toBeInstanceOf(LedgerUnavailableError);
      expect(e.message).toBe(
        'postgres://h/db: connect: PostgreSQL refused the login (password authentication failed); check the user and the password (ledger.password_env)'
      );
    }
    expect(classify('postgres://h/db', 'connect', pgError('3D000', 'database "db" does not exist')).message).toBe(
      'postgres://h/db: connect: database "db" does not exist; create it first (createdb), or fix the URL'
    );
  });

  it('calls the server unavailable when the socket fails, it is going away, starting, full, or the connection ended', () => {
    const unavailable = [
      ...['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'],
      ...['57P01', '57P02', '57P03', '53300', '08006', '08001'],
    ].map((code) => pgError(code, `failed ${code}`));
    unavailable.push(
      pgError(undefined, 'Connection terminated unexpectedly'),
      pgError(undefined, 'connection timeout'),
      pgError('', 'timeout exceeded when trying to connect'),
      pgError(undefined, 'Client has encountered a connection error and is not queryable')
    );
    for (const e of unavailable) {
      const c = classify('pg', 'insert', e);
      expect([e.message, c]).toEqual([e.message, expect.any(LedgerUnavailableError)]);
      expect(c.message).toBe(`pg: insert: PostgreSQL cannot be reached (${e.message})`);
    }
  });

  it('gives any other error as a ledger error with the first line of its message', () => {
    for (const e of [
      pgError('42P01', 'relation "x" does not exist\nDETAIL: row (alice, 12)'),
      pgError('57014', 'canceled'),
    ]) {
      const c = classify('pg', 'query', e);
      expect(c).toBeInstanceOf(LedgerError);
      expect(c).not.toBeInstanceOf(LedgerUnavailableError);
      expect(c.message).toBe(`pg: query: ${e.message.split('\n')[0]}`);
    }
    expect(classify('pg', 'query', 'text thrown').message).toBe('pg: query: text thrown');
    expect(classify('pg', 'query', {}).message).toBe('pg: query: [object Object]');
  });
});
