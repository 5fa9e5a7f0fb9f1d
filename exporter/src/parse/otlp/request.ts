import type { Type } from 'protobufjs';
import { IdEncoding, isObject, OtlpDecodeError } from './objectForm';
import { otlpTypes } from './schema';

/** The two OTLP/HTTP encodings (opentelemetry-proto docs/specification.md "OTLP/HTTP"). */
export type OtlpEncoding = 'protobuf' | 'json';

/** The signals this receiver takes: POST /v1/logs and POST /v1/traces. */
export type OtlpSignal = 'logs' | 'traces';

export const CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** The encoding a Content-Type header names (parameters such as `charset` aside), or undefined for any other. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = contentType?.split(';')[0]!.trim().toLowerCase();
  if (mediaType === CONTENT_TYPES.protobuf) return 'protobuf';
  if (mediaType === CONTENT_TYPES.json) return 'json';
  return undefined;
}

/** A request body in object form (objectForm.ts), with how its trace and span ids are written. */
export interface OtlpRequestObject {
  request: Record<string, unknown>;
  ids: IdEncoding;
}

function requestType(signal: OtlpSignal): Type {
  const t = otlpTypes();
  return signal === 'logs' ? t.logsRequest : t.traceRequest;
}

/**
 * An Export{Logs,Trace}ServiceRequest body, already decompressed, in object form. Throws OtlpDecodeError
 * when it is not one (the protobuf decoder's or JSON parser's reason, never a byte of the body).
 */
export function decodeRequest(signal: OtlpSignal, encoding: OtlpEncoding, body: Uint8Array): OtlpRequestObject {
  if (encoding === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch {
      throw new OtlpDecodeError('the body is not valid JSON');
    }
    if (!isObject(parsed)) throw new OtlpDecodeError('the body is not a JSON object');
    return { request: parsed, ids: 'hex' };
  }
  const type = requestType(signal);
  let message;
  try {
    message = type.decode(body);
  } catch (e) {
    // protobufjs names the wire problem ("index out of range: 12 + 10 > 15", "invalid wire type 7 at offset 3").
    throw new OtlpDecodeError(
      `the body is not a protobuf ${type.name}: ${e instanceof Error ? e.message : 'undecodable'}`
    );
  }
  // int64 and fixed64 as decimal text and bytes as base64, as in OTLP JSON; enums stay numbers.
  const request = type.toObject(message, { longs: String, bytes: String });
  return { request, ids: 'base64' };
}
