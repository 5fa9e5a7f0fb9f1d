import {
  describe as describeValue,
  toEpochMs,
  toOptionalCount,
  toOptionalDurationMs,
  toOptionalString,
  toOptionalText,
} from './coerce';
import { FieldError } from './fieldError';

function errorOf(fn: () => unknown): FieldError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FieldError) return e;
    throw e;
  }
  throw new Error('expected a FieldError');
}

describe('toEpochMs', () => {
  it('reads each unit', () => {
    expect(toEpochMs(1735725600.5, 's', 't')).toBe(1735725600500);
    expect(toEpochMs('1735725600123', 'ms', 't')).toBe(1735725600123);
    expect(toEpochMs('2025-01-01T10:00:00Z', 'iso', 't')).toBe(Date.parse('2025-01-01T10:00:00Z'));
    expect(toEpochMs(1735725600, 'auto', 't')).toBe(1735725600000);
    expect(toEpochMs(1735725600123, 'auto', 't')).toBe(1735725600123);
  });

  it('names what the unit accepts, in words, for every unit', () => {
    expect(errorOf(() => toEpochMs('yesterday', 's', 'startTime')).message).toBe(
      'startTime: expected a timestamp in epoch seconds, got "yesterday"'
    );
    expect(errorOf(() => toEpochMs('yesterday', 'ms', 'started_at')).message).toBe(
      'started_at: expected a timestamp in epoch milliseconds, got "yesterday"'
    );
    expect(errorOf(() => toEpochMs(1735725600, 'iso', 'start_time')).message).toBe(
      'start_time: expected an ISO 8601 timestamp, got 1735725600'
    );
    expect(errorOf(() => toEpochMs('yesterday', 'iso', 'start_time')).message).toBe(
      'start_time: expected an ISO 8601 timestamp, got "yesterday"'
    );
    const auto = errorOf(() => toEpochMs('yesterday', 'auto', 'ts'));
    expect(auto).toMatchObject({
      reason: 'invalid_field',
      field: 'ts',
      message: 'ts: expected a timestamp in epoch seconds, epoch milliseconds or ISO 8601, got "yesterday"',
    });
    expect(errorOf(() => toEpochMs(true, 's', 'startTime')).message).toBe(
      'startTime: expected a timestamp in epoch seconds, got true'
    );
  });
});

describe('describe (a bad value in a message)', () => {
  it('cuts long values to 40 characters', () => {
    const shown = describeValue(`not a count ${'x'.repeat(100)}`);
    expect(shown).toHaveLength(40);
    expect(shown.endsWith('...')).toBe(true);
  });

  it('never shows a value that looks like a credential', () => {
    const message = errorOf(() => toOptionalCount('sk-live-SECRET1', 'prompt_tokens')).message;
    expect(message).toBe(
      'prompt_tokens: expected a non-negative integer, got a string of 15 characters that looks like a credential (not shown)'
    );
    expect(describeValue('Bearer abc')).not.toContain('abc');
  });

  it('shows objects and arrays by type only', () => {
    expect(describeValue({ content: 'PRIVATE' })).toBe('an object');
    expect(describeValue(['PRIVATE'])).toBe('an array');
  });
});

describe('absent values and value kinds', () => {
  it('null, "", "-" and undefined are absent in every reader', () => {
    for (const v of [undefined, null, '', '-']) {
      expect(toOptionalCount(v, 'f')).toBeUndefined();
      expect(toOptionalText(v, 'f')).toBeUndefined();
      expect(toOptionalDurationMs(v, 'f')).toBeUndefined();
      expect(toEpochMs(v, 'auto', 'f')).toBeUndefined();
    }
  });

  it('texts: numbers and booleans are written as text, objects refused', () => {
    expect(toOptionalText(true, 'user')).toBe('true');
    expect(toOptionalText(7, 'user')).toBe('7');
    expect(errorOf(() => toOptionalText({ a: 1 }, 'user')).message).toBe('user: expected a string, got an object');
  });

  it('counts: fractions, negatives, booleans and non-numeric strings are refused', () => {
    for (const v of [1.5, '-3', true, '12abc', 'NaN'])
      expect(errorOf(() => toOptionalCount(v, 'n')).message).toMatch(/^n: expected a non-negative integer, got /);
  });

  it('durations: booleans and overflowing numeric strings are refused', () => {
    expect(errorOf(() => toOptionalDurationMs(true, 'd')).message).toBe('d: expected a number, got true');
    expect(errorOf(() => toOptionalDurationMs('1e999', 'd')).message).toBe('d: expected a number, got "1e999"');
  });
});

describe('toEpochMs: units and text forms', () => {
  it('auto: below 1e11 is seconds, from 1e11 on milliseconds', () => {
    expect(toEpochMs(99_999_999_999, 'auto', 't')).toBe(99_999_999_999_000);
    expect(toEpochMs(100_000_000_000, 'auto', 't')).toBe(100_000_000_000);
  });

  it('numeric strings, with a fraction or surrounding spaces', () => {
    expect(toEpochMs(' 1735725600 ', 'auto', 't')).toBe(1735725600000);
    expect(toEpochMs('1735725600.25', 's', 't')).toBe(1735725600250);
  });

  it('ISO text: a space for T, no zone is UTC, an offset is applied', () => {
    expect(toEpochMs('2025-01-01 10:00:00', 'iso', 't')).toBe(Date.parse('2025-01-01T10:00:00Z'));
    expect(toEpochMs('2025-01-01T10:00:00+02:00', 'auto', 't')).toBe(Date.parse('2025-01-01T08:00:00Z'));
  });

  it('a unit of epoch numbers refuses ISO text, and the ISO unit refuses numeric strings', () => {
    expect(errorOf(() => toEpochMs('2025-01-01T10:00:00Z', 's', 't')).message).toBe(
      't: expected a timestamp in epoch seconds, got "2025-01-01T10:00:00Z"'
    );
    expect(errorOf(() => toEpochMs('2025-01-01T10:00:00Z', 'ms', 't')).field).toBe('t');
    expect(errorOf(() => toEpochMs('1735725600', 'iso', 't')).message).toBe(
      't: expected an ISO 8601 timestamp, got "1735725600"'
    );
    expect(errorOf(() => toEpochMs('1735725600x', 'auto', 't')).field).toBe('t');
    expect(errorOf(() => toEpochMs('x1735725600', 'auto', 't')).field).toBe('t');
  });
});

describe('describe: edges', () => {
  it('shows null as null, and a value of exactly 40 characters whole', () => {
    expect(describeValue(null)).toBe('null');
    const forty = 'y'.repeat(38);
    expect(describeValue(forty)).toBe(JSON.stringify(forty));
  });
});

describe('what a field holds instead', () => {
  it('names the field and what was expected', () => {
    expect(errorOf(() => toOptionalString({ raw: 'k' }, 'metadata.key')).message).toBe(
      'metadata.key: expected a string, got an object'
    );
    expect(errorOf(() => toOptionalDurationMs('soon', 'duration')).toRejection()).toEqual({
      reason: 'invalid_field',
      field: 'duration',
      message: 'duration: expected a number, got "soon"',
    });
  });
});

describe('toEpochMs: the unit decides', () => {
  it('a unit given is never second-guessed by magnitude', () => {
    // 5e10 ms is 1971-08-2x: small, yet milliseconds because the format says so (auto would read seconds).
    expect(toEpochMs(5e10, 'ms', 't')).toBe(5e10);
    expect(toEpochMs(5e10, 'auto', 't')).toBe(5e13);
  });

  it('an ISO time without a zone is read as UTC, blanks around it ignored', () => {
    expect(toEpochMs(' 2025-01-01 10:00:00 ', 'iso', 't')).toBe(Date.parse('2025-01-01T10:00:00Z'));
  });
});
