import { logsBody, RESPONSE_DECODERS, tracesBody } from '../../../test/fixtures/otlp/officialEncoder';
import { otlpFailure, otlpPush, OtlpRequestError } from './otlpPush';

const MAX = 1 << 20;

describe('otlpPush: an export as numbered texts and its OTLP answers', () => {
  it('numbers each log record as a line, with its index standing for an offset', () => {
    const push = otlpPush(
      'logs',
      'application/x-protobuf',
      logsBody('protobuf', [{ body: '{"a":1}' }, { body: 'b' }]),
      MAX
    );
    expect(push.format).toBe('auto');
    expect(push.texts).toEqual([
      { line: 1, startOffset: 0, endOffset: 1, text: '{"a":1}', tooLong: false },
      { line: 2, startOffset: 1, endOffset: 2, text: 'b', tooLong: false },
    ]);
  });

  it('refuses a record longer than the longest record read, whole', () => {
    const push = otlpPush('logs', 'application/json', logsBody('json', [{ body: 'x'.repeat(11) }, { body: 'y' }]), 10);
    expect(push.texts.map((t) => [t.text, t.tooLong])).toEqual([
      ['', true],
      ['y', false],
    ]);
  });

  it('reads a record of exactly the longest length read', () => {
    const push = otlpPush('logs', 'application/json', logsBody('json', [{ body: 'x'.repeat(10) }]), 10);
    expect(push.texts.map((t) => [t.text.length, t.tooLong])).toEqual([[10, false]]);
  });

  it('answers 415 naming the Content-Type it cannot read, and 400 with the reason for a body not a request', () => {
    const statusAndMessage = (fn: () => unknown): [number, string] => {
      try {
        fn();
      } catch (e) {
        if (e instanceof OtlpRequestError) return [e.status, e.message];
        throw e;
      }
      throw new Error('expected an OtlpRequestError');
    };
    const body = logsBody('json', [{ body: 'x' }]);
    expect(statusAndMessage(() => otlpPush('logs', 'text/plain', body, MAX))).toEqual([
      415,
      'Content-Type text/plain: expected application/x-protobuf or application/json (OTLP/HTTP)',
    ]);
    expect(statusAndMessage(() => otlpPush('logs', undefined, body, MAX))).toEqual([
      415,
      'Content-Type (none): expected application/x-protobuf or application/json (OTLP/HTTP)',
    ]);
    expect(statusAndMessage(() => otlpPush('logs', 'application/json', Buffer.from('{'), MAX))).toEqual([
      400,
      'the body is not valid JSON',
    ]);
  });

  it('reads spans as otel texts and counts the skipped ones', () => {
    const span = { traceId: '0af7651916cd43dd8448eb211c80319c', startNs: 1n, endNs: 2n };
    const body = tracesBody('json', [
      { ...span, spanId: 'b7ad6b7169203331', attributes: { 'gen_ai.usage.input_tokens': 1 } },
      { ...span, spanId: '00f067aa0ba902b7', attributes: { 'http.route': '/' } },
    ]);
    const push = otlpPush('traces', 'application/json', body, MAX);
    expect(push.format).toBe('otel');
    expect(push.texts).toHaveLength(1);
    expect(push.skipped).toBe(1);
  });

  it('answers a commit in the encoding of the request, naming refused records by their place', () => {
    const push = otlpPush(
      'logs',
      'application/json; charset=utf-8',
      logsBody('json', [{ body: 'a' }, { body: 'b' }]),
      MAX
    );
    const answer = push.answer({ refused: 1, refusals: [{ line: 2, reason: 'invalid_json', message: 'not JSON' }] });
    expect(answer.headers['Content-Type']).toBe('application/json');
    expect(RESPONSE_DECODERS.logs.json.deserializeResponse(answer.body).partialSuccess).toEqual({
      rejectedLogRecords: '1',
      errorMessage:
        '1 log records refused (quarantined): request.resourceLogs[0].scopeLogs[0].logRecords[1]: invalid_json: not JSON',
    });
    expect(push.answer({ refused: 0, refusals: [] }).body.toString()).toBe('{}');
  });

  it.each([
    ['text/plain', 415],
    [undefined, 415],
    ['application/x-protobuf', 400],
  ])('refuses Content-Type %s or a body that is not an export with %d', (contentType, status) => {
    const body = Buffer.from('{"resourceLogs": 1}');
    let error: unknown;
    try {
      otlpPush('logs', contentType, contentType === 'application/x-protobuf' ? Buffer.from([0x0a, 0x09]) : body, MAX);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OtlpRequestError);
    expect((error as OtlpRequestError).status).toBe(status);
  });

  it('answers failures in the request encoding, or protobuf when it is not one', () => {
    expect(otlpFailure('application/json', 401, 'no token').headers['Content-Type']).toBe('application/json');
    expect(otlpFailure('text/plain', 415, 'no').headers['Content-Type']).toBe('application/x-protobuf');
    expect(otlpFailure(undefined, 503, 'later', 5).headers['Retry-After']).toBe('5');
  });
});
