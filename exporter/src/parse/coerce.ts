import { RECORD_BOUNDS } from '../types';
import { FieldError } from './fieldError';
import { looksLikeSecret } from './secrets';

/**
 * Value coercion for log fields. Gateways disagree on how they write "nothing" (Envoy JSON: null,
 * Envoy text and Higress: "-", nginx escape=json: "") and often write numbers as strings ("21").
 */

export function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '-';
}

export function toOptionalString(v: unknown, field: string): string | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FieldError('invalid_field', field, `${field}: expected a string, got ${describe(v)}`);
}

/** A text the ledger stores (a user, a model...): at most RECORD_BOUNDS.maxTextLength characters. */
export function toOptionalText(v: unknown, field: string): string | undefined {
  const s = toOptionalString(v, field);
  if (s !== undefined && s.length > RECORD_BOUNDS.maxTextLength) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: a text of ${s.length} characters; at most ${RECORD_BOUNDS.maxTextLength} are stored`
    );
  }
  return s;
}

/** A token count: a non-negative integer up to RECORD_BOUNDS.maxTokens, given as a number or a numeric string. */
export function toOptionalCount(v: unknown, field: string): number | undefined {
  if (isAbsent(v)) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new FieldError('invalid_field', field, `${field}: expected a non-negative integer, got ${describe(v)}`);
  }
  if (n > RECORD_BOUNDS.maxTokens) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: ${n} tokens in one request is more than the ${RECORD_BOUNDS.maxTokens} accepted`
    );
  }
  return n;
}

/** A duration in milliseconds, from 0 to RECORD_BOUNDS.maxDurationMs (fractions allowed). */
export function toOptionalDurationMs(v: unknown, field: string): number | undefined {
  if (isAbsent(v)) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new FieldError('invalid_field', field, `${field}: expected a number, got ${describe(v)}`);
  }
  // Gateways write a negative duration for "not measured" (Kong's latencies are -1 when no upstream answered):
  // the request is still billable, so its duration is unknown rather than the line refused.
  if (n < 0) return undefined;
  if (n > RECORD_BOUNDS.maxDurationMs) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: a duration of ${describe(v)} ms is beyond ${RECORD_BOUNDS.maxDurationMs}`
    );
  }
  return n;
}

/** How a gateway writes a point in time. `auto` tells seconds from milliseconds by magnitude. */
export type TimeUnit = 'auto' | 's' | 'ms' | 'iso';

// Below this a number is taken as seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
const SECONDS_LIMIT = 1e11;
const ISO_HAS_ZONE = /(Z|[+-]\d\d:?\d\d)$/i;

/** What a unit accepts, for messages: `startTime: expected a timestamp in epoch seconds, got "yesterday"`. */
const UNIT_WORDS: Record<TimeUnit, string> = {
  auto: 'a timestamp in epoch seconds, epoch milliseconds or ISO 8601',
  s: 'a timestamp in epoch seconds',
  ms: 'a timestamp in epoch milliseconds',
  iso: 'an ISO 8601 timestamp',
};

const TIME_RANGE = `${new Date(RECORD_BOUNDS.minTimeMs).toISOString()} to ${new Date(RECORD_BOUNDS.maxTimeMs).toISOString()}`;

/**
 * Reads a timestamp into epoch milliseconds (fractional: rounding is the caller's). Times without a zone are UTC.
 * The time, rounded to the millisecond, must lie within RECORD_BOUNDS.
 */
export function toEpochMs(v: unknown, unit: TimeUnit, field: string): number | undefined {
  if (isAbsent(v)) return undefined;
  let ms = NaN;
  const numeric =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : undefined;
  if (numeric !== undefined && unit !== 'iso') {
    ms = unit === 's' || (unit === 'auto' && numeric < SECONDS_LIMIT) ? numeric * 1000 : numeric;
  } else if (typeof v === 'string' && unit !== 's' && unit !== 'ms') {
    const text = v.trim();
    ms = Date.parse(ISO_HAS_ZONE.test(text) ? text : `${text.replace(' ', 'T')}Z`);
  }
  if (!Number.isFinite(ms))
    throw new FieldError('invalid_field', field, `${field}: expected ${UNIT_WORDS[unit]}, got ${describe(v)}`);
  const rounded = Math.round(ms);
  if (rounded < RECORD_BOUNDS.minTimeMs || rounded > RECORD_BOUNDS.maxTimeMs) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: ${describe(v)} is outside the accepted times, ${TIME_RANGE}`
    );
  }
  return ms;
}

const MAX_SHOWN = 40;

/**
 * A value for a message about the field that holds it: its type for objects and arrays, else the value
 * itself as JSON, cut to 40 characters. A string that looks like a credential is never shown.
 */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string' && looksLikeSecret(v))
    return `a string of ${v.length} characters that looks like a credential (not shown)`;
  const text = JSON.stringify(v) ?? typeof v;
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}
