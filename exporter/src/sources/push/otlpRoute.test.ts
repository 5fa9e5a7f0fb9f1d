import { logsBody, tracesBody } from '../../../test/fixtures/otlp/officialEncoder';
import { otlpFailure } from '../../parse/otlp/otlpPush';
import { otlpRoute } from './otlpRoute';
import { PushRequestError } from './pushErrors';

const MAX = 1 << 20;

describe('otlpRoute: POST /v1/logs and /v1/traces', () => {
  it('names its path, its endpoint label and its default source after the signal', () => {
    for (const signal of ['logs', 'traces'] as const) {
      const route = otlpRoute(signal);
      expect([route.path, route.endpoint, route.defaultSource]).toEqual([
        `/v1/${signal}`,
        `otlp_${signal}`,
        `push:otlp_${signal}`,
      ]);
    }
  });

  it('decodes an export of its signal into numbered texts, refusing a record over the longest taken', () => {
    const body = logsBody('json', [{ body: '{"a":1}' }, { body: 'x'.repeat(11) }]);
    const decoded = otlpRoute('logs').decode(
      Buffer.from(body),
      { contentType: 'application/json' },
      { maxRecordBytes: 10 }
    );
    expect(decoded.format).toBe('auto');
    expect(decoded.texts.map((t) => [t.line, t.text, t.tooLong])).toEqual([
      [1, '{"a":1}', false],
      [2, '', true],
    ]);
    const traces = otlpRoute('traces').decode(
      Buffer.from(tracesBody('protobuf', [])),
      { contentType: 'application/x-protobuf' },
      { maxRecordBytes: MAX }
    );
    expect(traces.format).toBe('otel');
  });

  it("refuses what is not an export as a push request error with OTLP's status and reason", () => {
    const refusal = (contentType: string | undefined, body: string) => {
      try {
        otlpRoute('logs').decode(Buffer.from(body), { contentType }, { maxRecordBytes: MAX });
      } catch (e) {
        expect(e).toBeInstanceOf(PushRequestError);
        return [(e as PushRequestError).status, (e as Error).message];
      }
      throw new Error('taken');
    };
    expect(refusal('text/plain', '{}')).toEqual([
      415,
      'Content-Type text/plain: expected application/x-protobuf or application/json (OTLP/HTTP)',
    ]);
    expect(refusal('application/json', '{"resourceLogs": 1}')).toEqual([400, expect.stringContaining('resourceLogs')]);
  });

  it("answers a refusal in the request's own encoding", () => {
    const route = otlpRoute('traces');
    const json = route.failure!({ contentType: 'application/json' }, 429, 'slow down');
    expect(json).toEqual(otlpFailure('application/json', 429, 'slow down'));
    expect(json.status).toBe(429);
    expect(json.headers['Content-Type']).toBe('application/json');
    expect(route.failure!({ contentType: undefined }, 400, 'no').headers['Content-Type']).toBe(
      'application/x-protobuf'
    );
  });
});
