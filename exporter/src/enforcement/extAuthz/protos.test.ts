import { Reader, Writer } from 'protobufjs';
import { DECISIONS } from '../../../test/envoyExtAuthz';
import { decodeCheckRequest, encodeCheckResponse } from './checkWire';

/**
 * The wire format, field number by field number, written here again from the API reference independently of
 * ./protos.ts: envoy api/envoy/service/auth/v3/external_auth.proto and attribute_context.proto,
 * api/envoy/config/core/v3/base.proto, api/envoy/type/v3/http_status.proto, googleapis google/rpc/status.proto.
 */

const LEN = 2;
const VARINT = 0;

/** A length-delimited field built from its parts. */
function message(build: (w: Writer) => void): Uint8Array {
  const w = Writer.create();
  build(w);
  return w.finish();
}
const bytesField = (w: Writer, field: number, value: Uint8Array | string) => {
  w.uint32((field << 3) | LEN);
  if (typeof value === 'string') w.string(value);
  else w.bytes(value);
};
const mapEntry = (key: string, value: string) =>
  message((w) => {
    bytesField(w, 1, key);
    bytesField(w, 2, value);
  });

/** Every field of a message by number: varints as numbers, length-delimited ones as bytes. */
function fields(bytes: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const r = Reader.create(bytes);
  const out = new Map<number, (number | Uint8Array)[]>();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const value = (tag & 7) === VARINT ? r.uint32() : r.bytes();
    out.set(tag >>> 3, [...(out.get(tag >>> 3) ?? []), value]);
  }
  return out;
}
const one = (m: Map<number, (number | Uint8Array)[]>, field: number) => m.get(field)?.[0];
const text = (v: number | Uint8Array | undefined) => Buffer.from(v as Uint8Array).toString('utf8');

describe('the ext_authz protos against field numbers of the API reference', () => {
  it('decodes a CheckRequest: attributes 1 > request 4 > http 2 > headers 3, body 11; context_extensions 10', () => {
    const http = message((w) => {
      bytesField(w, 1, '8712');
      bytesField(w, 2, 'POST');
      bytesField(w, 3, mapEntry('x-request-id', 'req-1'));
      bytesField(w, 3, mapEntry('x-user', 'alice'));
      bytesField(w, 4, '/v1/chat/completions');
      bytesField(w, 11, '{"model":"m","max_tokens":5}');
    });
    const attributes = message((w) => {
      bytesField(
        w,
        4,
        message((r) => bytesField(r, 2, http))
      );
      bytesField(w, 10, mapEntry('tokenledger_token', 't'));
    });
    const wire = message((w) => bytesField(w, 1, attributes));
    const decoded = decodeCheckRequest(Buffer.from(wire));
    expect(decoded.contextExtensions).toEqual({ tokenledger_token: 't' });
    expect(decoded.request).toEqual({
      requestId: 'req-1',
      headers: { 'x-request-id': 'req-1', 'x-user': 'alice' },
      body: { model: 'm', max_tokens: 5 },
    });
  });

  it('decodes header_map 13 (HeaderValue key 1, raw_value 3) and raw_body 12', () => {
    const headerValue = (key: string, raw: string) =>
      message((w) => {
        bytesField(w, 1, key);
        bytesField(w, 3, Buffer.from(raw));
      });
    const http = message((w) => {
      bytesField(
        w,
        13,
        message((m) => {
          bytesField(m, 1, headerValue('x-request-id', 'req-2'));
          bytesField(m, 1, headerValue('x-tag', 'a'));
          bytesField(m, 1, headerValue('x-tag', 'b'));
        })
      );
      bytesField(w, 12, Buffer.from('{"model":"m"}'));
    });
    const wire = message((w) =>
      bytesField(
        w,
        1,
        message((a) =>
          bytesField(
            a,
            4,
            message((r) => bytesField(r, 2, http))
          )
        )
      )
    );
    expect(decodeCheckRequest(Buffer.from(wire)).request).toEqual({
      requestId: 'req-2',
      headers: { 'x-request-id': 'req-2', 'x-tag': 'a,b' },
      body: { model: 'm' },
    });
  });

  it('encodes a denial: status 1 (code 1 = 8), denied_response 2 (status 1 > code 1 = 429, headers 2, body 3)', () => {
    const wire = encodeCheckResponse(DECISIONS.block);
    const response = fields(wire);
    expect([...response.keys()].sort()).toEqual([1, 2]);
    const status = fields(one(response, 1) as Uint8Array);
    expect(one(status, 1)).toBe(8);
    expect(text(one(status, 2))).toBe(DECISIONS.block.reason);
    const denied = fields(one(response, 2) as Uint8Array);
    expect(one(fields(one(denied, 1) as Uint8Array), 1)).toBe(429);
    const headers = denied.get(2)!.map((h) => {
      const option = fields(h as Uint8Array);
      const header = fields(one(option, 1) as Uint8Array);
      return [text(one(header, 1)), text(one(header, 2)), one(option, 3)];
    });
    expect(headers).toContainEqual(['retry-after', '86400', 2]);
    expect(JSON.parse(text(one(denied, 3))).error.code).toBe(429);
  });

  it('encodes an allow: no status code (0 = OK), ok_response 3 with headers 2 and response_headers_to_add 6', () => {
    const wire = encodeCheckResponse(DECISIONS.allow);
    const response = fields(wire);
    expect([...response.keys()].sort()).toEqual([1, 3]);
    expect(fields(one(response, 1) as Uint8Array).size).toBe(0);
    const ok = fields(one(response, 3) as Uint8Array);
    const n = Object.keys(DECISIONS.allow.headers).length;
    expect(ok.get(2)).toHaveLength(n);
    expect(ok.get(6)).toHaveLength(n);
  });
});
