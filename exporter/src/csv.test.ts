import { toCsv } from './csv';

describe('toCsv', () => {
  it('quotes separators and quotes, keeps numbers and negative amounts as they are', () => {
    expect(toCsv([{ user: 'a, "b"', costUsd: '-1.500000000000', requests: 3 }], ['user', 'costUsd', 'requests'])).toBe('user,costUsd,requests\n"a, ""b""",-1.500000000000,3\n');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(toCsv([{ user: '=HYPERLINK("x")' }, { user: '@SUM(A1)' }], ['user'])).toBe('user\n"\'=HYPERLINK(""x"")"\n\'@SUM(A1)\n');
  });
});
