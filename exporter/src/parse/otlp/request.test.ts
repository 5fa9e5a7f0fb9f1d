import { decodeRequest, encodingOf } from './request';

describe('encodingOf: the Content-Type of an OTLP/HTTP request', () => {
  it.each([
    ['application/x-protobuf', 'protobuf'],
    ['Application/X-Protobuf', 'protobuf'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/grpc', undefined],
    ['text/plain', undefined],
    [undefined, undefined],
  ])('%s is %s', (header, encoding) => {
    expect(encodingOf(header)).toBe(encoding);
  });
});

describe('decodeRequest', () => {
  it('an empty protobuf body is an empty request (the specification asks for a success)', () => {
    expect(decodeRequest('logs', 'protobuf', new Uint8Array(0))).toEqual({ request: {}, ids: 'base64' });
  });

  it('reads a JSON body that is a slice of a larger buffer', () => {
    const whole = Buffer.from('xx{"resourceSpans":[]}yy');
    expect(decodeRequest('traces', 'json', whole.subarray(2, whole.length - 2)).request).toEqual({ resourceSpans: [] });
  });
});
