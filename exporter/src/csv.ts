/**
 * CSV for finance: RFC 4180 quoting, and text that a spreadsheet would run as a formula (a leading =, +,
 * - or @ that is not a number) is prefixed with ' so that opening the file never executes it.
 */
export function toCsv(rows: readonly Record<string, string | number>[], columns: readonly string[]): string {
  const cell = (v: unknown): string => {
    const text = v === undefined ? '' : String(v);
    const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}
