import { toCsv } from './csv';

const oneCell = (v: string | number) => toCsv([{ c: v }], ['c']).split('\n')[1];

describe('toCsv', () => {
  it('quotes separators and quotes, keeps numbers and negative amounts as they are', () => {
    expect(toCsv([{ user: 'a, "b"', costUsd: '-1.500000000000', requests: 3 }], ['user', 'costUsd', 'requests'])).toBe(
      'user,costUsd,requests\n"a, ""b""",-1.500000000000,3\n'
    );
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(toCsv([{ user: '=HYPERLINK("x")' }, { user: '@SUM(A1)' }], ['user'])).toBe(
      'user\n"\'=HYPERLINK(""x"")"\n\'@SUM(A1)\n'
    );
  });

  it.each([
    ["-2+cmd|' /C calc'!A0", "'-2+cmd|' /C calc'!A0"],
    ["+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"],
    ['-1e5', "'-1e5"],
    ['-', "'-"],
    ['+1', "'+1"],
    ['-1.', "'-1."],
    ['=1', "'=1"],
    ['\t=1', "'\t=1"],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['\uFF20SUM(A1)', "'\uFF20SUM(A1)"],
  ])('defuses a text starting with a formula character, even when a number follows: %j', (text, expected) => {
    expect(oneCell(text)).toBe(expected);
  });

  it('quotes a defused text that starts with a carriage return', () => {
    expect(oneCell('\r=1')).toBe('"\'\r=1"');
  });

  it.each([
    ['-1.500000000000', '-1.500000000000'],
    ['-3', '-3'],
    ['0.000000000005', '0.000000000005'],
    ['alice', 'alice'],
    ['a-b=c', 'a-b=c'],
  ])('leaves plain decimal numbers and other texts alone: %j', (text, expected) => {
    expect(oneCell(text)).toBe(expected);
  });

  it('writes a missing value as an empty cell', () => {
    expect(toCsv([{ a: 'x' }], ['a', 'b'])).toBe('a,b\nx,\n');
  });

  it('writes numbers as numbers, negative ones included', () => {
    expect(oneCell(-1e-7)).toBe('-1e-7');
    expect(oneCell(-2)).toBe('-2');
    expect(oneCell(-0.25)).toBe('-0.25');
    expect(oneCell(12)).toBe('12');
  });
});
