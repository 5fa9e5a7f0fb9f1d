import { createHash } from 'node:crypto';
import { NO_TOOL_CALLS, RequestStatus, UsageRecord } from '../types';
import {
  describe,
  isAbsent,
  TimeUnit,
  toEpochMs,
  toOptionalCount,
  toOptionalDurationMs,
  toOptionalString,
  toOptionalText,
} from './coerce';
import { FieldError } from './fieldError';
import { compilePath, formatPath, getPath, JsonPath } from './jsonPath';
import { readUsageObject, ReportedTokens, toBuckets } from './usage';

/**
 * The one parsing engine: a mapping from canonical fields to JSON paths. The LiteLLM, Kong and Envoy
 * formats are presets of it (presets.ts); the generic format is a mapping written in the config.
 */

/** Where one canonical field is read from: the first path that holds a value wins. */
export interface FieldSource {
  path: JsonPath;
  /** The path as written, for messages (computed once, not per line). */
  name: string;
  /** For arrays of tags such as ["tier:gold", "team:eng"]: the value is the tag with this prefix, stripped. */
  tagPrefix?: string;
}

export type FieldSpec = readonly FieldSource[];

/** Every field a mapping can fill. `apiKey` is a raw secret (hashed on read); `apiKeyId` is already safe. */
export const CANONICAL_FIELDS = [
  'requestId',
  'startTime',
  'endTime',
  'durationMs',
  'user',
  'apiKey',
  'apiKeyId',
  'apiKeyAlias',
  'team',
  'tier',
  'model',
  'provider',
  'status',
  'httpStatus',
  'usage',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
] as const;
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

export interface Mapping {
  fields: Partial<Record<CanonicalField, FieldSpec>>;
  timeUnit: TimeUnit;
  /** Whether `inputTokens` already includes cache reads (OpenAI semantics) or not (Anthropic semantics). */
  inputTokensIncludeCache: boolean;
}

/** A field spec as written by hand: a path, a list of paths, or {path, tag_prefix}. */
export type FieldSpecInput =
  string | { path: string; tag_prefix?: string } | (string | { path: string; tag_prefix?: string })[];

export function compileFieldSpec(input: FieldSpecInput): FieldSpec {
  const list = Array.isArray(input) ? input : [input];
  return list.map((item) => {
    const path = compilePath(typeof item === 'string' ? item : item.path);
    const source: FieldSource = { path, name: formatPath(path) };
    if (typeof item !== 'string' && item.tag_prefix !== undefined) source.tagPrefix = item.tag_prefix;
    return source;
  });
}

function lookup(obj: unknown, spec: FieldSpec | undefined): { value: unknown; field: string } | undefined {
  if (!spec) return undefined;
  for (const source of spec) {
    let value = getPath(obj, source.path);
    if (source.tagPrefix !== undefined) {
      const prefix = source.tagPrefix;
      const tag = Array.isArray(value)
        ? value.find((t): t is string => typeof t === 'string' && t.startsWith(prefix))
        : undefined;
      value = tag?.slice(prefix.length);
    }
    if (!isAbsent(value)) return { value, field: source.name };
  }
  return undefined;
}

function firstPath(spec: FieldSpec | undefined, fallback: string): string {
  return spec?.[0] ? spec[0].name : fallback;
}

const SUCCESS_WORDS = new Set(['success', 'succeeded', 'ok', 'true']);
const FAILURE_WORDS = new Set(['failure', 'failed', 'error', 'false']);

const isHttpCode = (n: number): boolean => Number.isInteger(n) && n >= 100 && n <= 599;

/** A status field may be a word, a boolean, or an HTTP code (100-599). */
function readStatus(value: unknown, field: string): { status?: RequestStatus; http?: number } {
  if (typeof value === 'boolean') return { status: value ? 'success' : 'failure' };
  const code =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : undefined;
  if (code !== undefined && isHttpCode(code)) return { http: code };
  if (typeof value === 'string') {
    const word = value.toLowerCase();
    if (SUCCESS_WORDS.has(word)) return { status: 'success' };
    if (FAILURE_WORDS.has(word)) return { status: 'failure' };
  }
  throw new FieldError(
    'invalid_field',
    field,
    `${field}: expected success/failure or an HTTP status, got ${describe(value)}`
  );
}

/** HTTP codes inside error details are informational: a non-numeric code ("rate_limit") is simply not one. */
function lenientHttpStatus(value: unknown): number | undefined {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : undefined;
  return n !== undefined && isHttpCode(n) ? n : undefined;
}

/** A text the ledger stores, bounded in length. */
function text(obj: unknown, spec: FieldSpec | undefined): string | undefined {
  const hit = lookup(obj, spec);
  return hit ? toOptionalText(hit.value, hit.field) : undefined;
}

/** A raw secret: only its hash is kept, so its length is not bounded (a JWT may be long). */
function secret(obj: unknown, spec: FieldSpec | undefined): string | undefined {
  const hit = lookup(obj, spec);
  return hit ? toOptionalString(hit.value, hit.field) : undefined;
}

function countOf(obj: unknown, spec: FieldSpec | undefined): number | undefined {
  const hit = lookup(obj, spec);
  return hit ? toOptionalCount(hit.value, hit.field) : undefined;
}

function reportedTokens(obj: unknown, m: Mapping): { tokens: ReportedTokens; field: string } {
  const f = m.fields;
  const usageHit = lookup(obj, f.usage);
  const fromUsage = usageHit ? readUsageObject(usageHit.value, usageHit.field) : undefined;
  if (fromUsage) return { tokens: fromUsage, field: usageHit!.field };
  const input = countOf(obj, f.inputTokens) ?? 0;
  const cacheRead = countOf(obj, f.cacheReadTokens) ?? 0;
  const cacheWrite = countOf(obj, f.cacheWriteTokens) ?? 0;
  return {
    tokens: {
      inputTotal: m.inputTokensIncludeCache ? input : input + cacheRead + cacheWrite,
      cacheRead,
      cacheWrite,
      inputIncludesCacheWrite: true,
      output: countOf(obj, f.outputTokens) ?? 0,
      reasoning: countOf(obj, f.reasoningTokens) ?? 0,
    },
    field: firstPath(f.inputTokens, 'inputTokens'),
  };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Reads one parsed JSON object through a mapping. Throws FieldError for a missing or invalid field.
 * `rawLine` is hashed into the request id when the gateway writes none, so a re-read line keeps its id.
 */
export function applyMapping(obj: Record<string, unknown>, m: Mapping, rawLine: string): UsageRecord {
  const f = m.fields;
  const startHit = lookup(obj, f.startTime);
  if (!startHit)
    throw new FieldError(
      'missing_field',
      firstPath(f.startTime, 'startTime'),
      `missing start time (${firstPath(f.startTime, 'startTime')})`
    );
  const exactStartMs = toEpochMs(startHit.value, m.timeUnit, startHit.field)!;
  const model = text(obj, f.model);
  if (model === undefined)
    throw new FieldError(
      'missing_field',
      firstPath(f.model, 'model'),
      `missing model (${firstPath(f.model, 'model')})`
    );

  let durationMs: number | undefined;
  const durationHit = lookup(obj, f.durationMs);
  if (durationHit) durationMs = toOptionalDurationMs(durationHit.value, durationHit.field);
  else {
    const endHit = lookup(obj, f.endTime);
    const endMs = endHit ? toEpochMs(endHit.value, m.timeUnit, endHit.field) : undefined;
    // An end before the start (clock skew between writers) is a zero duration; the bound applies as to a written one.
    if (endMs !== undefined)
      durationMs = toOptionalDurationMs(Math.max(0, Math.round(endMs - exactStartMs)), endHit!.field);
  }

  const statusHit = lookup(obj, f.status);
  const fromStatus = statusHit ? readStatus(statusHit.value, statusHit.field) : {};
  const httpHit = lookup(obj, f.httpStatus);
  const httpStatus = fromStatus.http ?? (httpHit ? lenientHttpStatus(httpHit.value) : undefined);
  const status: RequestStatus =
    fromStatus.status ?? (httpStatus !== undefined && httpStatus >= 400 ? 'failure' : 'success');

  const reported = reportedTokens(obj, m);
  // A raw key is hashed at once; only the hash travels further.
  const rawKey = secret(obj, f.apiKey);
  return {
    requestId: text(obj, f.requestId) ?? `sha256:${sha256Hex(rawLine)}`,
    startMs: Math.round(exactStartMs),
    durationMs,
    user: text(obj, f.user),
    apiKeyId: text(obj, f.apiKeyId) ?? (rawKey !== undefined ? sha256Hex(rawKey) : undefined),
    apiKeyAlias: text(obj, f.apiKeyAlias),
    team: text(obj, f.team),
    tier: text(obj, f.tier),
    model,
    modelRequested: undefined,
    baseModel: undefined,
    provider: text(obj, f.provider),
    status,
    httpStatus,
    tokens: toBuckets(reported.tokens, reported.field),
    serviceTier: undefined,
    speed: undefined,
    inferenceGeo: undefined,
    toolCalls: NO_TOOL_CALLS,
    gatewayCacheHit: false,
    usageReported: true,
    reportedCostPusd: undefined,
  };
}
