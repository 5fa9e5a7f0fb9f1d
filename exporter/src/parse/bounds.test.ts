import { isRejection, RECORD_BOUNDS } from '../types';
import { toEpochMs, toOptionalCount, toOptionalDurationMs, toOptionalText } from './coerce';
import { FieldError } from './fieldError';
import { LineParser } from './lineParser';
import { compileFieldSpec } from './mapping';

/** Every bound of RECORD_BOUNDS: its last accepted value, its first refused one, and the refusal naming the field. */

function refusal(fn: () => unknown): FieldError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FieldError) return e;
    throw e;
  }
  throw new Error('expected a FieldError');
}

describe('token counts', () => {
  it('accept up to RECORD_BOUNDS.maxTokens and refuse one more, naming the field', () => {
    expect(RECORD_BOUNDS.maxTokens).toBe(10_000_000_000);
    expect(toOptionalCount(10_000_000_000, 'completion_tokens')).toBe(10_000_000_000);
    expect(toOptionalCount('10000000000', 'completion_tokens')).toBe(10_000_000_000);
    expect(refusal(() => toOptionalCount(10_000_000_001, 'completion_tokens'))).toMatchObject({
      reason: 'invalid_field',
      field: 'completion_tokens',
      message: 'completion_tokens: 10000000001 tokens in one request is more than the 10000000000 accepted',
    });
  });

  it('refuse 1e12 and 2^53-1 (safe integers whose cost overflowed the ledger)', () => {
    expect(refusal(() => toOptionalCount(1e12, 'usage.completion_tokens')).field).toBe('usage.completion_tokens');
    expect(refusal(() => toOptionalCount(Number.MAX_SAFE_INTEGER, 'output_tokens')).message).toMatch(
      /^output_tokens: 9007199254740991 tokens/
    );
  });
});

describe('times', () => {
  const max = RECORD_BOUNDS.maxTimeMs;

  it('accept 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z', () => {
    expect(max).toBe(Date.parse('9999-12-31T23:59:59.999Z'));
    expect(toEpochMs(0, 'ms', 't')).toBe(0);
    expect(toEpochMs(max, 'ms', 't')).toBe(max);
    expect(toEpochMs('9999-12-31T23:59:59.999Z', 'iso', 't')).toBe(max);
    // 99999999999 s is below the seconds/milliseconds divide: year 5138, accepted.
    expect(toEpochMs(99_999_999_999, 'auto', 't')).toBe(99_999_999_999_000);
  });

  it('refuse a millisecond past either end, naming the field and the range', () => {
    expect(refusal(() => toEpochMs(max + 1, 'ms', 'started_at'))).toMatchObject({
      reason: 'invalid_field',
      field: 'started_at',
      message:
        'started_at: 253402300800000 is outside the accepted times, 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z',
    });
    expect(refusal(() => toEpochMs(-1, 'ms', 'started_at')).field).toBe('started_at');
    expect(refusal(() => toEpochMs('1969-12-31T23:59:59.999Z', 'iso', 'start_time')).field).toBe('start_time');
    expect(refusal(() => toEpochMs('+010000-01-01T00:00:00Z', 'iso', 'start_time')).field).toBe('start_time');
  });

  it('bound the time as stored (rounded to the millisecond), not as written', () => {
    expect(refusal(() => toEpochMs(max + 0.5, 'ms', 't')).field).toBe('t');
    expect(toEpochMs(max + 0.4, 'ms', 't')).toBe(max + 0.4);
    expect(refusal(() => toEpochMs(-0.6, 'ms', 't')).field).toBe('t');
  });

  it('refuse the values that stopped ingestion: startTime 1e20 and -1e15', () => {
    expect(refusal(() => toEpochMs(1e20, 'auto', 'startTime')).message).toBe(
      'startTime: 100000000000000000000 is outside the accepted times, 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z'
    );
    expect(refusal(() => toEpochMs(-1e15, 'auto', 'startTime')).field).toBe('startTime');
    expect(refusal(() => toEpochMs(9e12, 's', 'startTime')).field).toBe('startTime');
  });
});

describe('texts', () => {
  it('keep up to RECORD_BOUNDS.maxTextLength characters and refuse one more, without showing it', () => {
    expect(RECORD_BOUNDS.maxTextLength).toBe(1024);
    expect(toOptionalText('u'.repeat(1024), 'user')).toHaveLength(1024);
    const e = refusal(() => toOptionalText('u'.repeat(1025), 'metadata.user_api_key_user_id'));
    expect(e).toMatchObject({
      reason: 'invalid_field',
      field: 'metadata.user_api_key_user_id',
      message: 'metadata.user_api_key_user_id: a text of 1025 characters; at most 1024 are stored',
    });
  });

  it('count a number written where a text is expected by its digits', () => {
    expect(toOptionalText(42, 'user')).toBe('42');
  });
});

describe('durations', () => {
  it('accept 0 to RECORD_BOUNDS.maxDurationMs, fractions included, read a negative one as not measured, and refuse beyond', () => {
    expect(toOptionalDurationMs(0, 'd')).toBe(0);
    expect(toOptionalDurationMs(1e12, 'd')).toBe(1e12);
    expect(toOptionalDurationMs('12.5', 'd')).toBe(12.5);
    expect(refusal(() => toOptionalDurationMs(1e12 + 1, 'latencies.request'))).toMatchObject({
      field: 'latencies.request',
      message: 'latencies.request: a duration of 1000000000001 ms is beyond 1000000000000',
    });
    expect(toOptionalDurationMs(-1, 'd')).toBeUndefined();
    expect(toOptionalDurationMs('-0.5', 'd')).toBeUndefined();
    expect(refusal(() => toOptionalDurationMs(1e308, 'd')).field).toBe('d');
    expect(refusal(() => toOptionalDurationMs('soon', 'd')).message).toBe('d: expected a number, got "soon"');
  });
});

describe('a whole line outside a bound is one invalid_field rejection naming the field', () => {
  const parser = new LineParser({ format: 'auto', mappings: {} });
  const litellm = (extra: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: 'r1',
      call_type: 'acompletion',
      status: 'success',
      startTime: 1735725600,
      endTime: 1735725601,
      model: 'gpt-4o',
      prompt_tokens: 10,
      completion_tokens: 5,
      metadata: { user_api_key_user_id: 'alice', ...metadata },
      ...extra,
    });
  const rejected = (line: string) => {
    const r = parser.parse(line);
    if (!isRejection(r)) throw new Error(`expected a rejection, got a record ${JSON.stringify(r.record)}`);
    return r;
  };

  it('reads the line within the bounds', () => {
    expect(isRejection(parser.parse(litellm({})))).toBe(false);
  });

  it.each([
    ['completion_tokens', litellm({ completion_tokens: 1e12 })],
    ['prompt_tokens', litellm({ prompt_tokens: Number.MAX_SAFE_INTEGER })],
    ['startTime', litellm({ startTime: 1e20 })],
    ['startTime', litellm({ startTime: -1e15 })],
    ['endTime', litellm({ endTime: 1e20 })],
    ['endTime', litellm({ endTime: 1735725600 + 1e10 })],
    ['metadata.user_api_key_user_id', litellm({}, { user_api_key_user_id: 'x'.repeat(3_000_000) })],
    ['model', litellm({ model: 'm'.repeat(1025) })],
    ['id', litellm({ id: 'i'.repeat(1025) })],
    ['status', litellm({ status: 100000 })],
    ['status', litellm({ status: 200.5 })],
  ])('%s', (field, line) => {
    expect(rejected(line)).toMatchObject({ reason: 'invalid_field', field });
  });

  it('a long raw API key is only hashed, so its length is not bounded', () => {
    const generic = new LineParser({
      format: 'auto',
      mappings: {
        generic: {
          fields: {
            startTime: compileFieldSpec('ts'),
            model: compileFieldSpec('model'),
            apiKey: compileFieldSpec('key'),
          },
          timeUnit: 'auto',
          inputTokensIncludeCache: true,
        },
      },
    });
    const r = generic.parse(JSON.stringify({ ts: 1735725600, model: 'm', key: 'k'.repeat(5000) }));
    if (isRejection(r)) throw new Error(r.message);
    expect(r.record.apiKeyId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an HTTP code from 100 to 599 is read as one', () => {
    const ok = parser.parse(litellm({ status: 599 }));
    if (isRejection(ok)) throw new Error(ok.message);
    expect(ok.record).toMatchObject({ httpStatus: 599, status: 'failure' });
    expect(rejected(litellm({ status: 600 })).field).toBe('status');
    expect(rejected(litellm({ status: 99 })).field).toBe('status');
  });
});
