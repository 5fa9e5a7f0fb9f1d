import type { HeaderField } from './hpack';
import { requestHeaders, trailersMalformation } from './requestHeaders';

const REQUEST: HeaderField[] = [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/envoy.service.auth.v3.Authorization/Check'],
  [':authority', 'tokenledger:9091'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
];

describe('requestHeaders (RFC 9113 8.1.1, 8.2, 8.3.1)', () => {
  it('gives every field by name, pseudo-header fields included', () => {
    const headers = requestHeaders(REQUEST);
    expect(headers).toEqual(Object.assign(Object.create(null), Object.fromEntries(REQUEST)));
  });

  it('joins a repeated field with ", ", and cookies with "; "', () => {
    const headers = requestHeaders([
      ...REQUEST,
      ['x-forwarded-for', '10.0.0.1'],
      ['cookie', 'a=1'],
      ['x-forwarded-for', '10.0.0.2'],
      ['cookie', 'b=2'],
    ]);
    expect(typeof headers).toBe('object');
    const h = headers as Record<string, string>;
    expect(h['x-forwarded-for']).toBe('10.0.0.1, 10.0.0.2');
    expect(h.cookie).toBe('a=1; b=2');
  });

  it('keeps a field named __proto__ as a field, without touching any prototype', () => {
    const headers = requestHeaders([...REQUEST, ['__proto__', 'x']]) as Record<string, string>;
    expect(headers.__proto__).toBe('x');
    expect('toString' in headers).toBe(false);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each<[string, HeaderField[], string]>([
    ['an upper-case name', [...REQUEST, ['X-Request-Id', '1']], 'field name "X-Request-Id" is not lower case'],
    ['a response pseudo-header', [...REQUEST, [':status', '200']], '":status" is not a request pseudo-header field'],
    [
      'a pseudo-header after a regular field',
      [...REQUEST.slice(1), REQUEST[0]!],
      'pseudo-header field ":method" after a regular field',
    ],
    ['a repeated pseudo-header', [REQUEST[0]!, ...REQUEST], 'pseudo-header field ":method" repeated'],
    ['connection', [...REQUEST, ['connection', 'keep-alive']], 'connection-specific field "connection"'],
    [
      'transfer-encoding',
      [...REQUEST, ['transfer-encoding', 'chunked']],
      'connection-specific field "transfer-encoding"',
    ],
    ['te other than trailers', [...REQUEST, ['te', 'gzip']], '"te: gzip" (only "trailers" is allowed)'],
    ['no :method', REQUEST.filter(([n]) => n !== ':method'), 'no ":method" pseudo-header field'],
    ['no :scheme', REQUEST.filter(([n]) => n !== ':scheme'), 'no ":scheme" pseudo-header field'],
    ['no :path', REQUEST.filter(([n]) => n !== ':path'), 'no ":path" pseudo-header field'],
  ])('calls a request with %s malformed, saying why', (_what, fields, why) => {
    expect(requestHeaders(fields)).toBe(why);
  });
});

describe('trailersMalformation', () => {
  it('accepts regular fields, and refuses pseudo-header fields and upper-case names', () => {
    expect(trailersMalformation([['grpc-status', '0']])).toBeUndefined();
    expect(trailersMalformation([[':path', '/']])).toBe('pseudo-header field ":path" in trailers');
    expect(trailersMalformation([['Grpc-Status', '0']])).toBe('field name "Grpc-Status" is not lower case');
  });
});
