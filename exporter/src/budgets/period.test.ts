import { isValidTimeZone, periodBounds } from './period';

const iso = (ms: number) => new Date(ms).toISOString();

describe('periodBounds', () => {
  const now = Date.parse('2025-03-19T15:30:00Z'); // a Wednesday

  it('UTC day, Monday week and calendar month', () => {
    expect([iso(periodBounds('daily', now, 'UTC').startMs), iso(periodBounds('daily', now, 'UTC').endMs)]).toEqual([
      '2025-03-19T00:00:00.000Z',
      '2025-03-20T00:00:00.000Z',
    ]);
    expect([iso(periodBounds('weekly', now, 'UTC').startMs), iso(periodBounds('weekly', now, 'UTC').endMs)]).toEqual([
      '2025-03-17T00:00:00.000Z',
      '2025-03-24T00:00:00.000Z',
    ]);
    expect([iso(periodBounds('monthly', now, 'UTC').startMs), iso(periodBounds('monthly', now, 'UTC').endMs)]).toEqual([
      '2025-03-01T00:00:00.000Z',
      '2025-04-01T00:00:00.000Z',
    ]);
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

  const bounds = (period: 'daily' | 'weekly' | 'monthly', at: string, zone: string) => {
    const b = periodBounds(period, Date.parse(at), zone);
    return [iso(b.startMs), iso(b.endMs)];
  };

  describe('America/Santiago, whose DST changes happen at midnight', () => {
    // 2024-09-08: at 00:00 (UTC-4) clocks jump to 01:00 (UTC-3): that day has no midnight; it begins at 01:00, 04:00Z.
    it('a day without a midnight begins at its first instant, and the day before keeps all its 24 hours', () => {
      expect(bounds('daily', '2024-09-08T12:00:00Z', 'America/Santiago')).toEqual([
        '2024-09-08T04:00:00.000Z',
        '2024-09-09T03:00:00.000Z',
      ]);
      expect(bounds('daily', '2024-09-07T12:00:00Z', 'America/Santiago')).toEqual([
        '2024-09-07T04:00:00.000Z',
        '2024-09-08T04:00:00.000Z',
      ]);
      // 03:30Z on 2024-09-08 is 23:30 on the 7th, local time: still the 7th.
      expect(bounds('daily', '2024-09-08T03:30:00Z', 'America/Santiago')).toEqual([
        '2024-09-07T04:00:00.000Z',
        '2024-09-08T04:00:00.000Z',
      ]);
    });

    // 2024-04-07: at 00:00 (UTC-3) clocks go back to 23:00 (UTC-4) on the 6th: the 6th has 25 hours.
    it('a day whose midnight is repeated ends at the second one', () => {
      expect(bounds('daily', '2024-04-06T12:00:00Z', 'America/Santiago')).toEqual([
        '2024-04-06T03:00:00.000Z',
        '2024-04-07T04:00:00.000Z',
      ]);
      expect(bounds('daily', '2024-04-07T12:00:00Z', 'America/Santiago')).toEqual([
        '2024-04-07T04:00:00.000Z',
        '2024-04-08T04:00:00.000Z',
      ]);
    });

    it('a date a zone skipped altogether: Samoa went from 2011-12-29 to 2011-12-31', () => {
      // UTC-10 until the end of the 29th (2011-12-30T10:00Z), UTC+14 from the 31st.
      expect(bounds('daily', '2011-12-30T09:00:00Z', 'Pacific/Apia')).toEqual([
        '2011-12-29T10:00:00.000Z',
        '2011-12-30T10:00:00.000Z',
      ]);
      expect(bounds('daily', '2011-12-30T10:00:00Z', 'Pacific/Apia')).toEqual([
        '2011-12-30T10:00:00.000Z',
        '2011-12-31T10:00:00.000Z',
      ]);
    });

    it('a month whose first day has no midnight (America/Asuncion, 2023-10-01 00:00 -> 01:00)', () => {
      expect(bounds('monthly', '2023-09-15T12:00:00Z', 'America/Asuncion')).toEqual([
        '2023-09-01T04:00:00.000Z',
        '2023-10-01T04:00:00.000Z',
      ]);
      expect(bounds('monthly', '2023-10-15T12:00:00Z', 'America/Asuncion')).toEqual([
        '2023-10-01T04:00:00.000Z',
        '2023-11-01T03:00:00.000Z',
      ]);
    });

    it('weeks and months that start on such a day', () => {
      // Monday 2024-09-02 to Monday 2024-09-09, across the missing midnight of the 8th.
      expect(bounds('weekly', '2024-09-08T12:00:00Z', 'America/Santiago')).toEqual([
        '2024-09-02T04:00:00.000Z',
        '2024-09-09T03:00:00.000Z',
      ]);
      expect(bounds('monthly', '2024-09-20T12:00:00Z', 'America/Santiago')).toEqual([
        '2024-09-01T04:00:00.000Z',
        '2024-10-01T03:00:00.000Z',
      ]);
    });
  });

  describe('daily periods outside UTC', () => {
    it('a day east of Greenwich starts at local midnight, the evening before in UTC', () => {
      expect(bounds('daily', '2025-03-19T15:30:00Z', 'Asia/Tokyo')).toEqual([
        '2025-03-19T15:00:00.000Z',
        '2025-03-20T15:00:00.000Z',
      ]);
      expect(bounds('daily', '2025-03-19T14:59:59Z', 'Asia/Tokyo')).toEqual([
        '2025-03-18T15:00:00.000Z',
        '2025-03-19T15:00:00.000Z',
      ]);
      expect(bounds('daily', '2025-03-19T15:00:00Z', 'Asia/Tokyo')).toEqual([
        '2025-03-19T15:00:00.000Z',
        '2025-03-20T15:00:00.000Z',
      ]);
    });

    it('a day west of Greenwich, and a zone with a half-hour offset', () => {
      expect(bounds('daily', '2025-03-19T03:00:00Z', 'America/New_York')).toEqual([
        '2025-03-18T04:00:00.000Z',
        '2025-03-19T04:00:00.000Z',
      ]);
      expect(bounds('daily', '2025-03-19T12:00:00Z', 'Asia/Kolkata')).toEqual([
        '2025-03-18T18:30:00.000Z',
        '2025-03-19T18:30:00.000Z',
      ]);
    });

    it('days of 23 and 25 hours where DST changes at 02:00 or 03:00', () => {
      expect(bounds('daily', '2025-03-30T12:00:00Z', 'Europe/Berlin')).toEqual([
        '2025-03-29T23:00:00.000Z',
        '2025-03-30T22:00:00.000Z',
      ]);
      expect(bounds('daily', '2025-10-26T12:00:00Z', 'Europe/Berlin')).toEqual([
        '2025-10-25T22:00:00.000Z',
        '2025-10-26T23:00:00.000Z',
      ]);
      expect(bounds('daily', '2025-03-31T12:00:00Z', 'Europe/Berlin')).toEqual([
        '2025-03-30T22:00:00.000Z',
        '2025-03-31T22:00:00.000Z',
      ]);
    });

    it('a week starts on Monday, local time', () => {
      // Sunday 2025-03-23 23:30 in UTC is already Monday in Tokyo: the week that starts that Monday.
      expect(bounds('weekly', '2025-03-23T23:30:00Z', 'Asia/Tokyo')).toEqual([
        '2025-03-23T15:00:00.000Z',
        '2025-03-30T15:00:00.000Z',
      ]);
      expect(bounds('weekly', '2025-03-23T23:30:00Z', 'UTC')).toEqual([
        '2025-03-17T00:00:00.000Z',
        '2025-03-24T00:00:00.000Z',
      ]);
    });

    it("December ends at the next year's January", () => {
      expect(bounds('monthly', '2025-12-15T00:00:00Z', 'UTC')).toEqual([
        '2025-12-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z',
      ]);
    });
  });
});
