import { isValidTimeZone, periodBounds } from './period';

const iso = (ms: number) => new Date(ms).toISOString();

describe('periodBounds', () => {
  const now = Date.parse('2025-03-19T15:30:00Z'); // a Wednesday

  it('UTC day, Monday week and calendar month', () => {
    expect([iso(periodBounds('daily', now, 'UTC').startMs), iso(periodBounds('daily', now, 'UTC').endMs)]).toEqual(['2025-03-19T00:00:00.000Z', '2025-03-20T00:00:00.000Z']);
    expect([iso(periodBounds('weekly', now, 'UTC').startMs), iso(periodBounds('weekly', now, 'UTC').endMs)]).toEqual(['2025-03-17T00:00:00.000Z', '2025-03-24T00:00:00.000Z']);
    expect([iso(periodBounds('monthly', now, 'UTC').startMs), iso(periodBounds('monthly', now, 'UTC').endMs)]).toEqual(['2025-03-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z']);
  });

  it('local midnight in a zone, across a DST change inside the month', () => {
    // Europe/Berlin: UTC+1 until 2025-03-30, UTC+2 after.
    const m = periodBounds('monthly', now, 'Europe/Berlin');
    expect(iso(m.startMs)).toBe('2025-02-28T23:00:00.000Z');
    expect(iso(m.endMs)).toBe('2025-03-31T22:00:00.000Z');
  });

  it('the local date decides the period, not the UTC date', () => {
    // 23:30 UTC on Dec 31 is already Jan 1 in Tokyo.
    const m = periodBounds('monthly', Date.parse('2024-12-31T23:30:00Z'), 'Asia/Tokyo');
    expect(iso(m.startMs)).toBe('2024-12-31T15:00:00.000Z');
    expect(iso(m.endMs)).toBe('2025-01-31T15:00:00.000Z');
  });

  it('rejects unknown zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
