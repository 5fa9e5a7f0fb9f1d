/**
 * The one strict reader of ISO 8601 dates and times, shared by the CLI (`report --from/--to`), the HTTP API
 * (`from`, `to`) and the config. `Date.parse` rolls impossible dates over (2025-02-30 becomes 2025-03-02),
 * which turns a typo into a silently different range; this checks every part first.
 *
 * Accepted: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (midnight UTC), and `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed
 * by nothing (UTC), `Z`, or an offset `±HH:MM` / `±HHMM`. `T24:00[:00]` is the end of that day. Fractions
 * finer than a millisecond are truncated. Years may be written `±YYYYYY`.
 */

export type IsoTimeResult =
  | { ok: true; ms: number }
  /**
   * `shape`: the text is not ISO 8601 at all; `impossible`: it is, but names no real date or time.
   * `problem` names the text and says what is wrong, e.g. `2025-02-30 is not a date: February 2025 has 28 days`.
   */
  | { ok: false; kind: 'shape' | 'impossible'; problem: string };

const ISO =
  /^([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function parseIsoTime(text: string): IsoTimeResult {
  const m = ISO.exec(text);
  if (!m)
    return {
      ok: false,
      kind: 'shape',
      problem: `not an ISO 8601 date or time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z): ${JSON.stringify(text)}`,
    };
  const [, y, mo = '01', d = '01', h, mi, s = '00', fraction = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const notDate = (why: string): IsoTimeResult => ({
    ok: false,
    kind: 'impossible',
    problem: `${text} is not a date: ${why}`,
  });
  const notTime = (why: string): IsoTimeResult => ({
    ok: false,
    kind: 'impossible',
    problem: `${text} is not a time: ${why}`,
  });
  if (y === '-000000') return notDate('year -000000 is not allowed (write 000000)');
  if (month < 1 || month > 12) return notDate(`month ${mo} is out of range 01-12`);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days)
    return notDate(day < 1 ? `day ${d} is out of range 01-${days}` : `${MONTHS[month - 1]} ${y} has ${days} days`);

  let hour = 0;
  let minute = 0;
  let second = 0;
  let offsetMinutes = 0;
  if (h !== undefined) {
    hour = Number(h);
    minute = Number(mi);
    second = Number(s);
    if (hour === 24 && (minute !== 0 || second !== 0 || /[1-9]/.test(fraction)))
      return notTime('24 is only allowed as 24:00:00, the end of the day');
    if (hour > 24) return notTime(`hour ${h} is out of range 00-23`);
    if (minute > 59) return notTime(`minute ${mi} is out of range 00-59`);
    if (second > 59) return notTime(`second ${s} is out of range 00-59`);
    if (zone !== 'Z') {
      const oh = Number(zone.slice(1, 3));
      const om = Number(zone.slice(-2));
      if (oh > 23 || om > 59) return notTime(`offset ${zone} is out of range (at most ±23:59)`);
      offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
    }
  }
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const ms = date.getTime() - offsetMinutes * 60_000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return notDate('outside the range of representable times');
  return { ok: true, ms };
}
