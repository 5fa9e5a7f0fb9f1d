import { decodeRequest, encodingOf } from './request';
import { otlpRefusal } from '../../../test/otlpRefusal';

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

describe('encodingOf: blanks around the media type', () => {
  it('reads a media type with a blank before its parameters (RFC 9110 allows it)', () => {
    expect(encodingOf('application/json ; charset=utf-8')).toBe('json');
  });
});

describe('decodeRequest: a body that is not a request', () => {
  const refusal = otlpRefusal;

  it('a JSON body: not JSON, or not an object, is refused saying which; an object keeps hex ids', () => {
    expect(refusal(() => decodeRequest('logs', 'json', Buffer.from('{"resourceLogs":')))).toBe(
      'the body is not valid JSON'
    );
    expect(refusal(() => decodeRequest('logs', 'json', Buffer.from('[]')))).toBe('the body is not a JSON object');
    expect(decodeRequest('logs', 'json', Buffer.from('{}'))).toEqual({ request: {}, ids: 'hex' });
  });

  it("a protobuf body the decoder cannot read is refused with the message type and the decoder's reason", () => {
    // field 1 (resource_logs), wire type 2, a length of 10 with 1 byte left
    expect(refusal(() => decodeRequest('logs', 'protobuf', Uint8Array.from([0x0a, 0x0a, 0x01])))).toMatch(
      /^the body is not a protobuf ExportLogsServiceRequest: index out of range/
    );
  });
});
