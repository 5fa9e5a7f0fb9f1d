import { withoutData } from './errorText';

describe('withoutData: a DuckDB error for the log, without the data it quotes', () => {
  it("drops the CSV reader's quoted row and lines with tabs, keeping the first two others", () => {
    const message = [
      'Conversion Error: CSV Error on Line: 2',
      '  Original Line: alice\tkey-1\tteam-a\t12\t0.5',
      'original line: bob\tkey-2',
      '',
      'Error when converting column "input_uncached". Could not convert string "abc" to \'BIGINT\'',
      'a third line, left out',
    ].join('\n');
    expect(withoutData(message)).toBe(
      'Conversion Error: CSV Error on Line: 2; Error when converting column "input_uncached". Could not convert string "…" to \'BIGINT\''
    );
  });

  it('replaces every quoted text but our column names, type names and absolute paths', () => {
    expect(withoutData(`value "alice" for 'user_id' in "seq"`)).toBe(`value "…" for 'user_id' in "seq"`);
    expect(withoutData(`cast to "DECIMAL(38, 0)" or 'VARCHAR(12)' or "TIMESTAMP_NS" failed`)).toBe(
      `cast to "DECIMAL(38, 0)" or 'VARCHAR(12)' or "TIMESTAMP_NS" failed`
    );
    expect(withoutData(`cannot write "/var/lib/tokenledger/ledger.duckdb.wal": disk full`)).toBe(
      `cannot write "/var/lib/tokenledger/ledger.duckdb.wal": disk full`
    );
    // Not a type name: lower case, a digit first, an unclosed size, text after it; not a path: relative.
    for (const text of ['bigint', '1ABC', 'DECIMAL(38', 'VARCHAR(12) x', 'ledger.duckdb', 'a /b', 'user_id2'])
      expect([text, withoutData(`"${text}"`)]).toEqual([text, '"…"']);
    // Quotes pair up one kind at a time, shortest first.
    expect(withoutData(`"a" and 'it''s' "b"`)).toBe(`"…" and '…''…' "…"`);
  });

  it('drops only lines that start with the quoted row', () => {
    expect(
      withoutData('Invalid Input Error: a row too short (see its Original Line: below)\nOriginal Line: alice')
    ).toBe('Invalid Input Error: a row too short (see its Original Line: below)');
  });

  it('keeps a message without quotes as it is, trimmed', () => {
    expect(withoutData('  IO Error: Could not set lock on file  ')).toBe('IO Error: Could not set lock on file');
    expect(withoutData('')).toBe('');
  });
});
