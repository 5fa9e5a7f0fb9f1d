import { DEFAULT_POSTGRES_POOL, isPostgresUrl, ledgerLocation, ledgerSpecOf } from './open';

// Which ledger a name on the command line means, and where a message says it is (never with its password).
// Opening one is the ledger contract's (test/ledgerContract.ts), on both engines.

describe('a ledger named on the command line', () => {
  it.each(['postgres://db.internal/ledger', 'postgresql://u@db.internal:5433/ledger', 'POSTGRES://DB/L'])(
    'is the shared PostgreSQL ledger when it is a postgres:// or postgresql:// URL: %s',
    (text) => {
      expect(isPostgresUrl(text)).toBe(true);
      expect(ledgerSpecOf(text)).toEqual({ engine: 'postgres', url: text, pool: DEFAULT_POSTGRES_POOL });
    }
  );

  it.each([
    'ledger.duckdb',
    '/var/lib/tokenledger/postgres://ledger.duckdb', // a path that holds a URL's text, not at its start
    'postgres:/ledger.duckdb',
    'postgresq://db/ledger',
    'mysql://db/ledger',
  ])('is a DuckDB file otherwise: %s', (text) => {
    expect(isPostgresUrl(text)).toBe(false);
    expect(ledgerSpecOf(text)).toEqual({ engine: 'duckdb', path: text });
  });
});

describe("a ledger's location in messages", () => {
  it("is a DuckDB file's path", () => {
    expect(ledgerLocation({ engine: 'duckdb', path: '/data/ledger.duckdb' })).toBe('/data/ledger.duckdb');
  });

  it("is a PostgreSQL URL without its password, which the spec's own password never reaches", () => {
    const spec = { engine: 'postgres', url: 'postgres://ledger:s3cret@db.internal:5432/tl', pool: 4 } as const;
    expect(ledgerLocation(spec)).toBe('postgres://ledger:***@db.internal:5432/tl');
    expect(ledgerLocation({ ...spec, url: 'postgres://db.internal/tl', password: 's3cret' })).toBe(
      'postgres://db.internal/tl'
    );
  });
});
