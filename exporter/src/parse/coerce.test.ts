import { describe as describeValue, toEpochMs, toOptionalCount } from './coerce';
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
    expect(errorOf(() => toEpochMs('yesterday', 's', 'startTime')).message).toBe('startTime: expected a timestamp in epoch seconds, got "yesterday"');
    expect(errorOf(() => toEpochMs('yesterday', 'ms', 'started_at')).message).toBe('started_at: expected a timestamp in epoch milliseconds, got "yesterday"');
    expect(errorOf(() => toEpochMs(1735725600, 'iso', 'start_time')).message).toBe('start_time: expected an ISO 8601 timestamp, got 1735725600');
    expect(errorOf(() => toEpochMs('yesterday', 'iso', 'start_time')).message).toBe('start_time: expected an ISO 8601 timestamp, got "yesterday"');
    const auto = errorOf(() => toEpochMs('yesterday', 'auto', 'ts'));
    expect(auto).toMatchObject({ reason: 'invalid_field', field: 'ts', message: 'ts: expected a timestamp in epoch seconds, epoch milliseconds or ISO 8601, got "yesterday"' });
    expect(errorOf(() => toEpochMs(true, 's', 'startTime')).message).toBe('startTime: expected a timestamp in epoch seconds, got true');
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
    expect(message).toBe('prompt_tokens: expected a non-negative integer, got a string of 15 characters that looks like a credential (not shown)');
    expect(describeValue('Bearer abc')).not.toContain('abc');
  });

  it('shows objects and arrays by type only', () => {
    expect(describeValue({ content: 'PRIVATE' })).toBe('an object');
    expect(describeValue(['PRIVATE'])).toBe('an array');
  });
});
