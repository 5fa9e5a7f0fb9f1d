import type { CheckRequest, Decision } from '../decider';
import { BODY_MEMBERS } from '../subject';
import { allows, DENIAL_CONTENT_TYPE, denialBody } from './answers';
import { OVERWRITE_IF_EXISTS_OR_ADD, RpcCode } from './protos';
import { lenFieldSize, ProtoReader, ProtoWriter, varintSize, WireType } from './protoWire';
import { readTopLevelFields } from './topLevelFields';
import { bareRecord } from '../../bareRecord';

/**
 * Envoy's CheckRequest read straight from its wire bytes into the decision's CheckRequest, and the Decision written
 * straight into CheckResponse bytes: the fields of ./protos.ts (their numbers are listed there, from the API
 * reference), nothing else decoded, no message objects in between. protobuf.js did this before; per decision it
 * allocated as much as the rest of the decision together (bench/README.md, "Decisions"). The tests check both
 * directions against protobuf.js over generated messages.
 *
 * As protobuf parsers do: a field not read here, or a known field number with another wire type, is skipped; a
 * message field that occurs twice is merged; of a repeated scalar (or a map key given twice), the last one wins.
 */

/** What the door reads of a CheckRequest. */
export interface EnvoyCheck {
  request: CheckRequest;
  /** attributes.context_extensions, the per-route map a caller may carry its token in. */
  contextExtensions: Readonly<Record<string, string>>;
}

/** The fields read, as they arrive. Maps are records that inherit nothing: a header named `__proto__` is a header. */
interface Found {
  headers: Record<string, string> | undefined;
  /** header_map, repeated names joined with a comma (RFC 9110 5.3), names lower-cased. */
  headerMap: Record<string, string> | undefined;
  body: Buffer | undefined;
  rawBody: Buffer | undefined;
  contextExtensions: Record<string, string> | undefined;
}

const NO_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

/** A CheckRequest message (without the gRPC prefix); throws a ProtoError when its bytes are not one. */
export function decodeCheckRequest(bytes: Buffer): EnvoyCheck {
  const found: Found = {
    headers: undefined,
    headerMap: undefined,
    body: undefined,
    rawBody: undefined,
    contextExtensions: undefined,
  };
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WireType.LEN)) readAttributes(r, found);
    else r.skip(tag);
  }
  // With `encode_raw_headers: true` Envoy sends header_map (raw_value bytes) instead of the headers map.
  const headers = found.headerMap ?? found.headers ?? bareRecord<string>();
  // With `pack_as_bytes: true` Envoy sends the body in raw_body instead of body. Neither is decoded as a whole.
  const body = found.rawBody?.length ? found.rawBody : found.body;
  return {
    request: {
      // Not http.id: Envoy fills it with its internal stream id (check_request_utils.cc, `set_id(std::to_string(
      // stream_id))`), which no usage record carries; the x-request-id header is what the gateway logs.
      requestId: headers['x-request-id'] || undefined,
      headers,
      body: readTopLevelFields(body, BODY_MEMBERS),
    },
    contextExtensions: found.contextExtensions ?? NO_EXTENSIONS,
  };
}

/*
 * Each reader below is called with `r` just past the tag of its message's field, and leaves it past the field.
 */

/** AttributeContext: request = 4, context_extensions = 10. */
function readAttributes(r: ProtoReader, found: Found): void {
  const outer = r.enter();
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((4 << 3) | WireType.LEN)) readRequest(r, found);
    else if (tag === ((10 << 3) | WireType.LEN)) readMapEntry(r, (found.contextExtensions ??= bareRecord<string>()));
    else r.skip(tag);
  }
  r.leave(outer);
}

/** AttributeContext.Request: http = 2. */
function readRequest(r: ProtoReader, found: Found): void {
  const outer = r.enter();
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((2 << 3) | WireType.LEN)) readHttp(r, found);
    else r.skip(tag);
  }
  r.leave(outer);
}

/** AttributeContext.HttpRequest: headers = 3, body = 11, raw_body = 12, header_map = 13. */
function readHttp(r: ProtoReader, found: Found): void {
  const outer = r.enter();
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((3 << 3) | WireType.LEN)) readMapEntry(r, (found.headers ??= bareRecord<string>()));
    else if (tag === ((11 << 3) | WireType.LEN)) found.body = r.bytes();
    else if (tag === ((12 << 3) | WireType.LEN)) found.rawBody = r.bytes();
    else if (tag === ((13 << 3) | WireType.LEN)) readHeaderMap(r, found);
    else r.skip(tag);
  }
  r.leave(outer);
}

/** A map<string, string> entry: key = 1, value = 2, either absent meaning ''. */
function readMapEntry(r: ProtoReader, into: Record<string, string>): void {
  const outer = r.enter();
  let key = '';
  let value = '';
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WireType.LEN)) key = r.string();
    else if (tag === ((2 << 3) | WireType.LEN)) value = r.string();
    else r.skip(tag);
  }
  r.leave(outer);
  into[key] = value;
}

/**
 * HeaderMap: headers = 1, each a HeaderValue (key = 1, value = 2, raw_value = 3, which wins when not empty). A
 * HeaderMap with no entry is as good as none: the headers map is read instead.
 */
function readHeaderMap(r: ProtoReader, found: Found): void {
  const outer = r.enter();
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WireType.LEN)) readHeaderValue(r, (found.headerMap ??= bareRecord<string>()));
    else r.skip(tag);
  }
  r.leave(outer);
}

/** One HeaderValue into the joined headers; one without a name is left out. */
function readHeaderValue(r: ProtoReader, into: Record<string, string>): void {
  const outer = r.enter();
  let key = '';
  let value = '';
  let raw: Buffer | undefined;
  while (!r.done) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WireType.LEN)) key = r.string();
    else if (tag === ((2 << 3) | WireType.LEN)) value = r.string();
    else if (tag === ((3 << 3) | WireType.LEN)) raw = r.bytes();
    else r.skip(tag);
  }
  r.leave(outer);
  if (key) {
    key = key.toLowerCase();
    if (raw?.length) value = raw.toString('utf8');
    const before = into[key];
    into[key] = before === undefined ? value : `${before},${value}`;
  }
}

/** google.rpc.Code for a denial's HTTP status, after the HTTP mapping documented in google/rpc/code.proto. */
function rpcCodeFor(status: number): number {
  if (status === 429) return RpcCode.RESOURCE_EXHAUSTED;
  if (status === 401) return RpcCode.UNAUTHENTICATED;
  if (status === 403) return RpcCode.PERMISSION_DENIED;
  if (status === 503) return RpcCode.UNAVAILABLE;
  if (status >= 400 && status < 500) return RpcCode.FAILED_PRECONDITION;
  return RpcCode.INTERNAL;
}

/** A HeaderValueOption's strings and sizes, measured once for the lengths and again to write. */
interface MeasuredHeader {
  key: string;
  value: string;
  keyBytes: number;
  valueBytes: number;
  /** Size of the HeaderValue (key = 1, value = 2). */
  header: number;
  /** Size of the HeaderValueOption (header = 1, append_action = 3). */
  option: number;
}

/** append_action = 3 as a tag and a one-byte varint. */
const APPEND_ACTION_BYTES = 2;

/** A string field's size; proto3 leaves an empty one out. */
const stringFieldSize = (bytes: number): number => (bytes === 0 ? 0 : lenFieldSize(bytes));

function measure(key: string, value: string): MeasuredHeader {
  const keyBytes = Buffer.byteLength(key);
  const valueBytes = Buffer.byteLength(value);
  const header = stringFieldSize(keyBytes) + stringFieldSize(valueBytes);
  return { key, value, keyBytes, valueBytes, header, option: lenFieldSize(header) + APPEND_ACTION_BYTES };
}

function measureAll(headers: Readonly<Record<string, string>>): MeasuredHeader[] {
  const out: MeasuredHeader[] = [];
  for (const key of Object.keys(headers)) out.push(measure(key, headers[key]!));
  return out;
}

function optionsSize(headers: readonly MeasuredHeader[]): number {
  let size = 0;
  for (const h of headers) size += lenFieldSize(h.option);
  return size;
}

function writeString(w: ProtoWriter, field: number, value: string, bytes: number): void {
  if (bytes) w.string(field, value, bytes);
}

/**
 * HeaderValueOptions as the repeated field `field`, each OVERWRITE_IF_EXISTS_OR_ADD: a client cannot preset the
 * headers the decision sets. Older Envoys read only the deprecated `append` flag, whose default in ext_authz
 * answers is false: the same overwrite.
 */
function writeOptions(w: ProtoWriter, field: number, headers: readonly MeasuredHeader[]): void {
  for (const h of headers) {
    w.lenHeader(field, h.option);
    w.lenHeader(1, h.header);
    writeString(w, 1, h.key, h.keyBytes);
    writeString(w, 2, h.value, h.valueBytes);
    w.tag(3, WireType.VARINT);
    w.varint(OVERWRITE_IF_EXISTS_OR_ADD);
  }
}

/**
 * The Decision as a CheckResponse message. Allow and warn: status OK (an empty Status), ok_response with the
 * decision's headers (`x-ratelimit-*`, which budget warned) as `headers` (added to the request sent upstream) and
 * `response_headers_to_add` (to the response the client gets). Block and failing closed: a Status with the
 * google.rpc.Code of the decision's HTTP status and its reason, and denied_response with that status, its headers
 * (`retry-after`) and a JSON body.
 */
export function encodeCheckResponse(decision: Decision): Buffer {
  const headers = measureAll(decision.headers);
  if (allows(decision)) {
    const ok = 2 * optionsSize(headers);
    const w = new ProtoWriter(Buffer.allocUnsafe(lenFieldSize(0) + lenFieldSize(ok)));
    w.lenHeader(1, 0); // status: code OK (0), no message
    w.lenHeader(3, ok);
    writeOptions(w, 2, headers);
    writeOptions(w, 6, headers);
    return w.buf;
  }
  headers.push(measure('content-type', DENIAL_CONTENT_TYPE));
  const code = rpcCodeFor(decision.status);
  const reasonBytes = Buffer.byteLength(decision.reason);
  const body = denialBody(decision);
  const bodyBytes = Buffer.byteLength(body);
  const status = 1 + varintSize(code) + stringFieldSize(reasonBytes);
  const httpStatus = 1 + varintSize(decision.status);
  const denied = lenFieldSize(httpStatus) + optionsSize(headers) + stringFieldSize(bodyBytes);
  const w = new ProtoWriter(Buffer.allocUnsafe(lenFieldSize(status) + lenFieldSize(denied)));
  w.lenHeader(1, status);
  w.tag(1, WireType.VARINT);
  w.varint(code);
  writeString(w, 2, decision.reason, reasonBytes);
  w.lenHeader(2, denied);
  w.lenHeader(1, httpStatus);
  w.tag(1, WireType.VARINT);
  w.varint(decision.status);
  writeOptions(w, 2, headers);
  writeString(w, 3, body, bodyBytes);
  return w.buf;
}
