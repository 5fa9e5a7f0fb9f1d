/**
 * Calendar periods in a time zone, without a date library: a budget's day, week (Monday to Monday) or month
 * starts at local midnight in the configured zone. DST is handled by asking Intl for the zone's offset at
 * the instant in question.
 */
export const PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type Period = (typeof PERIODS)[number];

interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's wall-clock fields at an instant. */
function localParts(ms: number, timeZone: string): LocalDate & { hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
  const l = localParts(ms, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const DAY_MS = 86_400_000;

const dateNumber = (d: LocalDate): number => d.year * 10_000 + d.month * 100 + d.day;

/**
 * The first instant of a local date (or, for a date a zone skipped, of the next one): its midnight, or, where
 * a DST change skips midnight (America/Santiago jumps from 00:00 to 01:00), the instant of the change. Local
 * midnight is `guess - offset` for the offset in force then: the zone's offset a day before or a day after (no
 * zone changes twice within two days). Of the two candidates, the earliest whose local date is not before the
 * date is the start. Under the earlier offset, a skipped midnight is the instant of the change, already on the
 * date; under the later offset, the first of two midnights falls on the day before (its clock went back to 23:00).
 */
export function localMidnight(d: LocalDate, timeZone: string): number {
  const guess = Date.UTC(d.year, d.month - 1, d.day);
  const candidates = [guess - offsetAt(guess - DAY_MS, timeZone), guess - offsetAt(guess + DAY_MS, timeZone)];
  return Math.min(...candidates.filter((ms) => dateNumber(localParts(ms, timeZone)) >= dateNumber(d)));
}

function addDays(d: LocalDate, n: number): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** [start, end) of the period containing `nowMs`, as epoch ms. */
export function periodBounds(period: Period, nowMs: number, timeZone: string): { startMs: number; endMs: number } {
  const l = localParts(nowMs, timeZone);
  const today: LocalDate = { year: l.year, month: l.month, day: l.day };
  let start: LocalDate;
  let end: LocalDate;
  if (period === 'daily') {
    start = today;
    end = addDays(today, 1);
  } else if (period === 'weekly') {
    const weekday = (new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay() + 6) % 7; // Monday = 0
    start = addDays(today, -weekday);
    end = addDays(start, 7);
  } else {
    start = { year: l.year, month: l.month, day: 1 };
    end = l.month === 12 ? { year: l.year + 1, month: 1, day: 1 } : { year: l.year, month: l.month + 1, day: 1 };
  }
  return { startMs: localMidnight(start, timeZone), endMs: localMidnight(end, timeZone) };
}
