import fc from 'fast-check';
import { Writer } from 'protobufjs';
import type { Decision } from '../decider';
import { denialBody } from './answers';
import type { CheckRequestMessage, HttpRequestAttributes } from './checkMessages';
import { decodeCheckRequest, encodeCheckResponse } from './checkWire';
import { extAuthzTypes } from './protos';
import { ProtoError } from './protoWire';
import { BODY_MEMBERS } from '../subject';
import { readTopLevelFields } from './topLevelFields';

/**
 * The door's own codec against protobuf.js over ./protos.ts (what it replaced, and what grpc-js clients use):
 * CheckRequests protobuf.js encodes are read as the model below says, and CheckResponses written here decode in
 * protobuf.js to what the decision says. Field numbers against the API reference: ./protos.test.ts.
 */

const { CheckRequest, CheckResponse } = extAuthzTypes();

const encodeRequest = (m: CheckRequestMessage): Buffer => Buffer.from(CheckRequest.encode(m).finish());

/** What the door must read of a message: the model of decodeCheckRequest. */
function expected(m: CheckRequestMessage) {
  const http = m.attributes?.request?.http ?? {};
  let headers: Record<string, string> = { ...http.headers };
  const entries = http.header_map?.headers ?? [];
  if (entries.length) {
    headers = Object.create(null) as Record<string, string>;
    for (const h of entries) {
      if (!h.key) continue;
      const key = h.key.toLowerCase();
      const value = h.raw_value?.length ? Buffer.from(h.raw_value).toString('utf8') : (h.value ?? '');
      headers[key] = key in headers ? `${headers[key]},${value}` : value;
    }
  }
  const bodyBytes = http.raw_body?.length
    ? Buffer.from(http.raw_body)
    : http.body === undefined
      ? undefined
      : Buffer.from(http.body);
  // What the body holds for a decision is topLevelFields.test.ts's: here, that the right bytes reach it.
  const body = readTopLevelFields(bodyBytes, BODY_MEMBERS);
  return {
    request: { requestId: headers['x-request-id'] || undefined, headers, body },
    contextExtensions: { ...m.attributes?.context_extensions },
  };
}

/** Header names as gateways send them, some repeated, and any other text. */
const headerName = fc.oneof(
  fc.constantFrom('x-request-id', 'x-user-id', 'X-Team-Id', 'authorization', 'content-type', ':path', 'x-tag'),
  fc.string({ minLength: 1, maxLength: 12 })
);
const text = fc.string({ maxLength: 40, unit: 'grapheme' });
const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const json = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  text
);

const httpAttributes: fc.Arbitrary<HttpRequestAttributes> = fc.record(
  {
    id: fc.string(),
    method: fc.constantFrom('GET', 'POST'),
    headers: fc.dictionary(headerName, text, { maxKeys: 8 }),
    header_map: fc.record({
      headers: fc.array(
        fc.record(
          { key: headerName, value: text, raw_value: fc.option(bytes, { nil: undefined }) },
          { requiredKeys: ['key'] }
        ),
        { maxLength: 6 }
      ),
    }),
    path: fc.string(),
    host: fc.string(),
    body: json,
    raw_body: fc.oneof(
      json.map((s) => Buffer.from(s)),
      bytes
    ),
  },
  { requiredKeys: [] }
);

const checkRequest: fc.Arbitrary<CheckRequestMessage> = fc.record(
  {
    attributes: fc.record(
      {
        request: fc.record({ http: httpAttributes }, { requiredKeys: [] }),
        context_extensions: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), text, { maxKeys: 3 }),
      },
      { requiredKeys: [] }
    ),
  },
  { requiredKeys: [] }
);

/** A field the door does not read, of every wire type, numbered 2 .. 20000 (never a field it reads here: 1). */
const unknownField = fc
  .tuple(fc.integer({ min: 2, max: 20000 }), fc.constantFrom(0, 1, 2, 3, 5), fc.uint8Array({ maxLength: 9 }))
  .map(([field, wireType, payload]) => {
    const w = Writer.create().uint32((field << 3) | wireType);
    if (wireType === 0) w.uint64(payload.length * 1_000_003);
    else if (wireType === 1) w.fixed64(payload.length);
    else if (wireType === 2) w.bytes(payload);
    else if (wireType === 5) w.fixed32(payload.length);
    else
      w.uint32((7 << 3) | 0)
        .uint32(payload.length)
        .uint32((field << 3) | 4); // a group holding one varint
    return Buffer.from(w.finish());
  });

describe('decodeCheckRequest', () => {
  it('reads what protobuf.js wrote, as the model says, whatever the other fields', () => {
    fc.assert(
      fc.property(checkRequest, fc.array(unknownField, { maxLength: 3 }), (m, unknown) => {
        // Unknown fields before and after: a parser skips them (and a message's fields may come in any order).
        const wire = Buffer.concat([...unknown, encodeRequest(m), ...unknown]);
        expect(decodeCheckRequest(wire)).toEqual(expected(m));
      }),
      { numRuns: 400 }
    );
  });

  it('fails with a ProtoError on every truncation of a message, never another error', () => {
    fc.assert(
      fc.property(checkRequest, fc.nat(), (m, at) => {
        const wire = encodeRequest(m);
        const cut = wire.subarray(0, at % (wire.length + 1));
        try {
          decodeCheckRequest(cut);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtoError);
        }
      }),
      { numRuns: 400 }
    );
  });

  it('merges a message field given twice and skips a known field number of another wire type', () => {
    const a = encodeRequest({ attributes: { request: { http: { headers: { 'x-request-id': 'r1', 'x-a': '1' } } } } });
    const b = encodeRequest({
      attributes: { request: { http: { headers: { 'x-request-id': 'r2' }, body: '{"model":"m"}' } } },
    });
    const attributesAsVarint = Buffer.from(
      Writer.create()
        .uint32((1 << 3) | 0)
        .uint32(5)
        .finish()
    );
    expect(decodeCheckRequest(Buffer.concat([a, attributesAsVarint, b])).request).toEqual({
      requestId: 'r2',
      headers: { 'x-request-id': 'r2', 'x-a': '1' },
      body: { model: 'm' },
    });
  });

  it('keeps a header named __proto__ as a header, and reads none into an object prototype', () => {
    // Own keys (an object literal's __proto__ would set its prototype instead).
    const named = JSON.parse('{"__proto__": "x", "constructor": "y"}') as Record<string, string>;
    const wire = encodeRequest({ attributes: { request: { http: { headers: named } } } });
    const { headers } = decodeCheckRequest(wire).request;
    expect(Object.entries(headers)).toEqual(
      expect.arrayContaining([
        ['__proto__', 'x'],
        ['constructor', 'y'],
      ])
    );
    expect('toString' in headers).toBe(false);
  });

  it('refuses a header that is not UTF-8, and reads the body as bytes, leniently', () => {
    const http = (build: (w: Writer) => void) => {
      const w = Writer.create();
      build(w);
      const h = w.finish();
      const req = Writer.create()
        .uint32((2 << 3) | 2)
        .bytes(h)
        .finish();
      const attrs = Writer.create()
        .uint32((4 << 3) | 2)
        .bytes(req)
        .finish();
      return Buffer.from(
        Writer.create()
          .uint32((1 << 3) | 2)
          .bytes(attrs)
          .finish()
      );
    };
    const invalid = Buffer.from([0x7b, 0xff, 0x7d]);
    const header = (value: Uint8Array) => (w: Writer) => {
      w.uint32((3 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 2)
        .string('x-a')
        .uint32((2 << 3) | 2)
        .bytes(value)
        .ldelim();
    };
    expect(() => decodeCheckRequest(http(header(invalid)))).toThrow(
      new ProtoError('a string field is not valid UTF-8')
    );
    expect(decodeCheckRequest(http(header(Buffer.from('zoë')))).request.headers['x-a']).toBe('zoë');
    // The body is read as bytes, body and raw_body alike, not decoded as a whole: not JSON past its "{", it has
    // no members.
    for (const field of [11, 12])
      expect(decodeCheckRequest(http((w) => w.uint32((field << 3) | 2).bytes(invalid))).request.body).toEqual({});
    expect(decodeCheckRequest(http((w) => w.uint32((11 << 3) | 2).string('{"user":"zoë"}'))).request.body).toEqual({
      user: 'zoë',
    });
  });

  it('refuses field 0, an invalid wire type, a group closed by another field, and lengths past the end', () => {
    const refusal = (bytes: number[]) => {
      try {
        decodeCheckRequest(Buffer.from(bytes));
      } catch (e) {
        return e instanceof ProtoError ? e.message : `not a ProtoError: ${String(e)}`;
      }
      return 'decoded';
    };
    expect(refusal([0x00, 0x01])).toBe('a field numbered 0');
    expect(refusal([(2 << 3) | 6])).toBe('invalid wire type 6 (field 2)');
    expect(refusal([(2 << 3) | 3, (3 << 3) | 4])).toBe('group 2 ends with the end-group tag of 3');
    expect(refusal([(1 << 3) | 2, 0x05, 0x00])).toBe('a field of 5 bytes runs past the end of its message');
    expect(refusal([(2 << 3) | 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).toBe(
      'a varint longer than 10 bytes'
    );
    expect(refusal([(1 << 3) | 2, 0xff, 0xff, 0xff, 0xff, 0x7f])).toBe(
      'a varint over 32 bits where a length or tag was expected'
    );
    expect(refusal([(2 << 3) | 1, 1, 2, 3])).toBe('a fixed-size field runs past the end of its message');
    expect(refusal([])).toBe('decoded');
  });
});

/** google.rpc.Code of a denial's HTTP status (googleapis google/rpc/code.proto, "HTTP Mapping"). */
const RPC_CODE: Record<number, number> = { 429: 8, 401: 16, 403: 7, 503: 14, 400: 9, 404: 9, 500: 13 };

/** A HeaderValueOption as protobuf.js gives it back: proto3 leaves empty strings out. */
const option = ([key, value]: [string, string]) => ({
  header: { ...(key ? { key } : {}), ...(value ? { value } : {}) },
  append_action: 2,
});

/** What protobuf.js must read from a decision's CheckResponse: the model of encodeCheckResponse. */
function expectedResponse(d: Decision): object {
  const headers = Object.entries(d.headers).map(option);
  if (d.status >= 200 && d.status < 300)
    return {
      status: {},
      ok_response: headers.length ? { headers, response_headers_to_add: headers } : {},
    };
  return {
    status: { code: RPC_CODE[d.status]!, ...(d.reason ? { message: d.reason } : {}) },
    denied_response: {
      status: { code: d.status },
      headers: [...headers, option(['content-type', 'application/json'])],
      body: denialBody(d),
    },
  };
}

const decision: fc.Arbitrary<Decision> = fc.record({
  kind: fc.constantFrom('allow', 'warn', 'block'),
  status: fc.constantFrom(200, 429, 503, 401, 403, 400, 404, 500),
  headers: fc.dictionary(fc.string({ maxLength: 30 }), fc.string({ maxLength: 200, unit: 'grapheme' }), {
    maxKeys: 8,
  }),
  reason: fc.string({ maxLength: 300, unit: 'grapheme' }),
});

describe('encodeCheckResponse', () => {
  it('writes what protobuf.js reads as the decision says, with lengths of any size', () => {
    fc.assert(
      fc.property(decision, (d) => {
        const decoded = CheckResponse.toObject(CheckResponse.decode(encodeCheckResponse(d)), { defaults: false });
        expect(decoded).toEqual(expectedResponse(d));
      }),
      { numRuns: 400 }
    );
  });

  it('writes exactly the bytes it measured (nothing left over from the unfilled buffer)', () => {
    fc.assert(
      fc.property(decision, (d) => {
        const wire = encodeCheckResponse(d);
        // Re-encoded by protobuf.js from what it read: the same length. (A measured size larger than what was
        // written would leave bytes that decode as garbage fields or fail.)
        const again = CheckResponse.encode(CheckResponse.decode(wire)).finish();
        expect(wire.length).toBe(again.length);
      }),
      { numRuns: 200 }
    );
  });
});
