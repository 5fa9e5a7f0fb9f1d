import { daysInMonth, parseIsoTime } from './isoTime';

const ms = (text: string): number => {
  const t = parseIsoTime(text);
  if (!t.ok) throw new Error(`expected ${text} to parse, got: ${t.problem}`);
  return t.ms;
};
const problem = (text: string): string => {
  const t = parseIsoTime(text);
  if (t.ok) throw new Error(`expected ${text} to be refused, got ${new Date(t.ms).toISOString()}`);
  return t.problem;
};

describe('parseIsoTime', () => {
  it('reads what the CLI and API always accepted: dates, date-times with or without a zone, fractions', () => {
    expect(ms('2025-01-01')).toBe(Date.UTC(2025, 0, 1));
    expect(ms('2025-01')).toBe(Date.UTC(2025, 0, 1));
    expect(ms('2025')).toBe(Date.UTC(2025, 0, 1));
    expect(ms('2025-01-31T12:00')).toBe(Date.UTC(2025, 0, 31, 12));
    expect(ms('2025-01-31T12:34:56')).toBe(Date.UTC(2025, 0, 31, 12, 34, 56));
    expect(ms('2025-01-31T12:34:56Z')).toBe(Date.UTC(2025, 0, 31, 12, 34, 56));
    expect(ms('2025-01-31T12:34:56.5Z')).toBe(Date.UTC(2025, 0, 31, 12, 34, 56, 500));
    expect(ms('2025-01-31T12:34:56.123456Z')).toBe(Date.UTC(2025, 0, 31, 12, 34, 56, 123));
    expect(ms('2025-01-31T12:00:00+01:00')).toBe(Date.UTC(2025, 0, 31, 11));
    expect(ms('2025-01-31T12:00:00+0130')).toBe(Date.UTC(2025, 0, 31, 10, 30));
    expect(ms('2025-01-31T12:00-05:00')).toBe(Date.UTC(2025, 0, 31, 17));
    expect(ms('2025-01-31T24:00:00Z')).toBe(Date.UTC(2025, 1, 1));
    expect(ms('+002025-01-01')).toBe(Date.UTC(2025, 0, 1));
    expect(ms('0050-06-01')).toBe(Date.parse('0050-06-01T00:00:00Z')); // not 1950
  });

  it('agrees with Date.parse on every real day of a leap and a common year', () => {
    for (const year of [2024, 2025, 2100, 2000]) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= daysInMonth(year, month); day++) {
          const text = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T23:59:59.999Z`;
          expect(ms(text)).toBe(Date.parse(text));
        }
      }
    }
  });

  it('refuses impossible calendar dates instead of rolling them over', () => {
    expect(problem('2025-02-30')).toBe('2025-02-30 is not a date: February 2025 has 28 days');
    expect(problem('2025-02-29')).toBe('2025-02-29 is not a date: February 2025 has 28 days');
    expect(problem('2100-02-29')).toBe('2100-02-29 is not a date: February 2100 has 28 days');
    expect(ms('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(ms('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
    expect(problem('2025-04-31')).toBe('2025-04-31 is not a date: April 2025 has 30 days');
    expect(problem('2025-04-31T10:00:00Z')).toBe('2025-04-31T10:00:00Z is not a date: April 2025 has 30 days');
    expect(problem('2025-01-32')).toBe('2025-01-32 is not a date: January 2025 has 31 days');
    expect(problem('2025-01-00')).toBe('2025-01-00 is not a date: day 00 is out of range 01-31');
    expect(problem('2025-13-01')).toBe('2025-13-01 is not a date: month 13 is out of range 01-12');
    expect(problem('2025-00')).toBe('2025-00 is not a date: month 00 is out of range 01-12');
  });

  it('refuses out-of-range hours, minutes, seconds and offsets', () => {
    expect(problem('2025-01-01T25:00:00Z')).toBe('2025-01-01T25:00:00Z is not a time: hour 25 is out of range 00-23');
    expect(problem('2025-01-01T24:30')).toBe(
      '2025-01-01T24:30 is not a time: 24 is only allowed as 24:00:00, the end of the day'
    );
    expect(problem('2025-01-01T12:60')).toBe('2025-01-01T12:60 is not a time: minute 60 is out of range 00-59');
    expect(problem('2025-01-01T12:00:60Z')).toBe('2025-01-01T12:00:60Z is not a time: second 60 is out of range 00-59');
    expect(problem('2025-01-01T12:00:00+24:00')).toMatch(/is not a time: offset \+24:00 is out of range/);
    expect(problem('2025-01-01T12:00:00+01:60')).toMatch(/offset \+01:60 is out of range/);
  });

  it('calls anything else not ISO 8601, quoting it', () => {
    for (const text of [
      'yesterday',
      '2025-1-1',
      '20250101',
      '2025-01-01 12:00',
      '2025-01-01T12',
      '2025-01-01T12:00:00.Z',
      '2025-01-01Z',
      '',
      ' 2025-01-01',
      'Jan 1 2025',
    ]) {
      const t = parseIsoTime(text);
      expect(t).toEqual({ ok: false, kind: 'shape', problem: expect.stringContaining(JSON.stringify(text)) });
    }
    expect(parseIsoTime('2025-02-30')).toMatchObject({ ok: false, kind: 'impossible' });
  });
});
