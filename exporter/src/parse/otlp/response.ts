import type { Type } from 'protobufjs';
import type { OtlpRefusal } from './items';
import { CONTENT_TYPES, OtlpEncoding, OtlpSignal } from './request';
import { otlpTypes } from './schema';

/**
 * OTLP/HTTP answers (opentelemetry-proto docs/specification.md "OTLP/HTTP Response"), in the encoding of the
 * request: 200 with an Export{Logs,Trace}ServiceResponse whose partial_success is set only when records were
 * rejected; a failure's body is a google.rpc.Status. The Collector's otlphttp exporter reads exactly these
 * (opentelemetry-collector exporter/otlphttpexporter/otlp.go: handlePartialSuccessResponse by Content-Type,
 * readResponseStatus, Retry-After on 429 and 503).
 */

export interface OtlpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface PartialSuccess {
  /** Log records or spans refused. */
  rejected: number;
  /** Why, in English; the OTLP client logs it. */
  message: string;
}

function encode(encoding: OtlpEncoding, type: Type, object: object): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify(object));
  return Buffer.from(type.encode(type.fromObject(object)).finish());
}

/** At most this many refusals are named in a partial success's message; the rest are counted. */
const NAMED_REFUSALS = 5;

/**
 * The partial success of a request `refused` of whose records were refused (undefined when none was); the
 * message names the first few, `named` (at most NAMED_REFUSALS are used), by their place in the request and says
 * why, never with a byte of their content.
 */
export function partialSuccessOf(
  signal: OtlpSignal,
  refused: number,
  named: readonly OtlpRefusal[]
): PartialSuccess | undefined {
  if (refused === 0) return undefined;
  const noun = signal === 'logs' ? 'log records' : 'spans';
  const shown = named.slice(0, NAMED_REFUSALS);
  const reasons = shown.map((r) => `${r.where}: ${r.reason}: ${r.message}`);
  const more = refused > shown.length ? `; and ${refused - shown.length} more` : '';
  return { rejected: refused, message: `${refused} ${noun} refused (quarantined): ${reasons.join('; ')}${more}` };
}

/**
 * 200 for a request whose records were all stored, repeated or skipped (`partial` undefined), or of which
 * `partial.rejected` were refused. The rejected count is an int64: a decimal string in JSON.
 */
export function exportAnswer(signal: OtlpSignal, encoding: OtlpEncoding, partial?: PartialSuccess): OtlpAnswer {
  const t = otlpTypes();
  const type = signal === 'logs' ? t.logsResponse : t.traceResponse;
  const countKey = signal === 'logs' ? 'rejectedLogRecords' : 'rejectedSpans';
  const object = partial
    ? { partialSuccess: { [countKey]: String(partial.rejected), errorMessage: partial.message } }
    : {};
  return { status: 200, headers: { 'Content-Type': CONTENT_TYPES[encoding] }, body: encode(encoding, type, object) };
}

/**
 * gRPC codes for the Status.code of a failure (google/rpc/code.proto). OTLP does not use the field; it is set for
 * the people who read the Collector's log.
 */
const RPC_CODES: Readonly<Record<number, number>> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  413: 3, // INVALID_ARGUMENT
  415: 3, // INVALID_ARGUMENT
  429: 8, // RESOURCE_EXHAUSTED
  503: 14, // UNAVAILABLE
};
const RPC_INTERNAL = 13;

/**
 * A failure: 400 for a body that cannot be decoded (not retried by the client), 413 beyond the body limit, 415
 * for another Content-Type, 429 or 503 with Retry-After (retried after that many seconds). A body of an unknown
 * encoding is answered in protobuf, which the Collector reads whatever it sent.
 */
export function failureAnswer(
  httpStatus: number,
  encoding: OtlpEncoding,
  message: string,
  retryAfterSeconds?: number
): OtlpAnswer {
  const status = { code: RPC_CODES[httpStatus] ?? RPC_INTERNAL, message };
  const headers: Record<string, string> = { 'Content-Type': CONTENT_TYPES[encoding] };
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  return { status: httpStatus, headers, body: encode(encoding, otlpTypes().rpcStatus, status) };
}
