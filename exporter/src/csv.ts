/**
 * CSV for finance: RFC 4180 quoting, and no cell a spreadsheet would run as a formula (OWASP, "CSV
 * Injection"): a text starting with =, +, -, @, a tab or a carriage return (or the full-width =, +, -, @ some
 * spreadsheets also accept) is prefixed with ' so that opening the file never executes it. Numbers stay
 * numbers: a JavaScript number, and a text that is a plain decimal number such as the exact amounts we
 * write ("-1.500000000000"), which no spreadsheet can read as anything but that number.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

export function toCsv(rows: readonly Record<string, string | number>[], columns: readonly string[]): string {
  const cell = (v: unknown): string => {
    const text = v === undefined ? '' : String(v as string | number);
    const safe = typeof v === 'string' && FORMULA_START.test(text) && !PLAIN_DECIMAL.test(text) ? `'${text}` : text;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}
