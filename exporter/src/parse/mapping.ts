import { createHash } from 'node:crypto';
import { usdToPico } from '../money';
import {
  NO_TOOL_CALLS,
  RECORD_BOUNDS,
  RequestStatus,
  SearchContextSize,
  TokenBuckets,
  ToolCalls,
  UsageRecord,
} from '../types';
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
import { ReadUsage, readUsageObject, toBuckets, UsageExtras } from './usage';

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
  'modelServed',
  'modelRequested',
  'baseModel',
  'provider',
  'status',
  'httpStatus',
  'usage',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'cacheWrite1hTokens',
  'inputAudioTokens',
  'inputImageTokens',
  'inputVideoTokens',
  'outputAudioTokens',
  'outputImageTokens',
  'serviceTier',
  'speed',
  'inferenceGeo',
  'webSearchQueries',
  'webSearchContext',
  'fileSearchCalls',
  'codeInterpreterSessions',
  'mapsGroundingQueries',
  'gatewayCacheHit',
  'reportedCost',
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

/** Tokens from the mapping's usage object, else from its flat token fields; `reported`: any field held a value. */
function reportedTokens(obj: unknown, m: Mapping): { read: ReadUsage; field: string; reported: boolean } {
  const f = m.fields;
  const usageHit = lookup(obj, f.usage);
  const fromUsage = usageHit ? readUsageObject(usageHit.value, usageHit.field) : undefined;
  if (fromUsage) return { read: fromUsage, field: usageHit!.field, reported: true };
  const input = countOf(obj, f.inputTokens);
  const output = countOf(obj, f.outputTokens);
  const cacheRead = countOf(obj, f.cacheReadTokens) ?? 0;
  const cacheWrite1h = countOf(obj, f.cacheWrite1hTokens) ?? 0;
  // A flat cache write count is every write; a 1-hour count without it is the only write.
  const cacheWrite = countOf(obj, f.cacheWriteTokens) ?? cacheWrite1h;
  return {
    read: {
      tokens: {
        inputTotal: m.inputTokensIncludeCache ? (input ?? 0) : (input ?? 0) + cacheRead + cacheWrite,
        cacheRead,
        cacheWrite,
        cacheWrite1h,
        inputIncludesCacheWrite: true,
        output: output ?? 0,
        reasoning: countOf(obj, f.reasoningTokens) ?? 0,
        inputAudio: countOf(obj, f.inputAudioTokens) ?? 0,
        inputImage: countOf(obj, f.inputImageTokens) ?? 0,
        inputVideo: countOf(obj, f.inputVideoTokens) ?? 0,
        outputAudio: countOf(obj, f.outputAudioTokens) ?? 0,
        outputImage: countOf(obj, f.outputImageTokens) ?? 0,
      },
      extras: NO_USAGE_EXTRAS,
    },
    field: firstPath(f.inputTokens, 'inputTokens'),
    reported: input !== undefined || output !== undefined,
  };
}

const NO_USAGE_EXTRAS: UsageExtras = {
  webSearchQueries: undefined,
  serviceTier: undefined,
  inferenceGeo: undefined,
  speed: undefined,
};

const TRUE_WORDS = new Set(['true', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'none']);

/** A yes/no field: a boolean, or a word as LiteLLM's SpendLogs write `cache_hit` ("True", "False"). */
function flag(obj: unknown, spec: FieldSpec | undefined): boolean {
  const hit = lookup(obj, spec);
  if (!hit) return false;
  const v = hit.value;
  if (typeof v === 'boolean') return v;
  const word = typeof v === 'string' || typeof v === 'number' ? String(v).toLowerCase() : undefined;
  if (word !== undefined && TRUE_WORDS.has(word)) return true;
  if (word !== undefined && FALSE_WORDS.has(word)) return false;
  throw new FieldError('invalid_field', hit.field, `${hit.field}: expected true or false, got ${describe(v)}`);
}

const CONTEXT_SIZES = new Set<string>(['low', 'medium', 'high']);

function searchContext(obj: unknown, spec: FieldSpec | undefined): SearchContextSize | undefined {
  const hit = lookup(obj, spec);
  if (!hit) return undefined;
  const v = toOptionalText(hit.value, hit.field)?.toLowerCase();
  if (v === undefined || CONTEXT_SIZES.has(v)) return v as SearchContextSize | undefined;
  throw new FieldError(
    'invalid_field',
    hit.field,
    `${hit.field}: expected low, medium or high, got ${describe(hit.value)}`
  );
}

/** A cost the gateway reports, USD as a number or decimal text, to exact pico-USD (half to even past 12 decimals). */
function reportedCost(obj: unknown, spec: FieldSpec | undefined): bigint | undefined {
  const hit = lookup(obj, spec);
  if (!hit) return undefined;
  let pico: bigint | undefined;
  if (typeof hit.value === 'number' || typeof hit.value === 'string') {
    try {
      pico = usdToPico(hit.value);
    } catch {
      pico = undefined;
    }
  }
  if (pico === undefined || pico < 0n || pico > RECORD_BOUNDS.maxPusd)
    throw new FieldError(
      'invalid_field',
      hit.field,
      `${hit.field}: expected a cost in USD, got ${describe(hit.value)}`
    );
  return pico;
}

/** Lower-cased text, for the values the pricer looks up (service tier, speed, region). */
function key(obj: unknown, spec: FieldSpec | undefined): string | undefined {
  return text(obj, spec)?.toLowerCase();
}

/** Billed tool calls: mapped fields first, then what the usage object says. */
function toolCalls(obj: unknown, f: Mapping['fields'], extras: UsageExtras): ToolCalls {
  const webSearchQueries = countOf(obj, f.webSearchQueries) ?? extras.webSearchQueries ?? 0;
  const fileSearchCalls = countOf(obj, f.fileSearchCalls) ?? 0;
  const codeInterpreterSessions = countOf(obj, f.codeInterpreterSessions) ?? 0;
  const mapsGroundingQueries = countOf(obj, f.mapsGroundingQueries) ?? 0;
  const webSearchContext = searchContext(obj, f.webSearchContext);
  if (
    webSearchQueries === 0 &&
    fileSearchCalls === 0 &&
    codeInterpreterSessions === 0 &&
    mapsGroundingQueries === 0 &&
    webSearchContext === undefined
  )
    return NO_TOOL_CALLS;
  return { webSearchQueries, webSearchContext, fileSearchCalls, codeInterpreterSessions, mapsGroundingQueries };
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
  const tokens = toBuckets(reported.read.tokens, reported.field);
  const extras = reported.read.extras;
  const gatewayCacheHit = flag(obj, f.gatewayCacheHit);
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
    model: text(obj, f.modelServed) ?? model,
    modelRequested: text(obj, f.modelRequested) ?? model,
    baseModel: text(obj, f.baseModel),
    provider: text(obj, f.provider),
    status,
    httpStatus,
    tokens,
    serviceTier: key(obj, f.serviceTier) ?? extras.serviceTier,
    speed: key(obj, f.speed) ?? extras.speed,
    inferenceGeo: key(obj, f.inferenceGeo) ?? extras.inferenceGeo,
    toolCalls: toolCalls(obj, f, extras),
    gatewayCacheHit,
    usageReported: gatewayCacheHit || usageReported(reported.reported, status, tokens),
    reportedCostPusd: reportedCost(obj, f.reportedCost),
  };
}

/**
 * Whether the log told what the request consumed. No token field at all is not reported; neither is a
 * success that consumed no input and no output (an interrupted stream, a provider that omits usage: LiteLLM
 * writes 0 then), since every answered request reads its prompt. A failure with zero tokens is reported: nothing
 * was billed.
 */
function usageReported(anyField: boolean, status: RequestStatus, t: TokenBuckets): boolean {
  if (!anyField) return false;
  if (status === 'failure') return true;
  return t.inputUncached + t.cacheRead + t.cacheWrite + t.cacheWrite1h + t.output > 0;
}
