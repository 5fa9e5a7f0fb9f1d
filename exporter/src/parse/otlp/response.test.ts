import { RESPONSE_DECODERS } from '../../../test/fixtures/otlp/officialEncoder';
import { exportAnswer, failureAnswer, partialSuccessOf } from './response';

describe('exportAnswer, read back by @opentelemetry/otlp-transformer as an SDK exporter reads it', () => {
  it.each(['protobuf', 'json'] as const)('%s: a full success leaves partial_success unset', (encoding) => {
    for (const signal of ['logs', 'traces'] as const) {
      const answer = exportAnswer(signal, encoding);
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe(encoding === 'json' ? '{}' : '');
      expect(RESPONSE_DECODERS[signal][encoding].deserializeResponse(answer.body)).toEqual({});
    }
  });

  it.each(['protobuf', 'json'] as const)('%s: a partial success carries the count and the message', (encoding) => {
    const partial = { rejected: 3, message: '3 log records refused' };
    const logs = RESPONSE_DECODERS.logs[encoding].deserializeResponse(exportAnswer('logs', encoding, partial).body);
    expect(Number(logs.partialSuccess?.rejectedLogRecords)).toBe(3);
    expect(logs.partialSuccess?.errorMessage).toBe('3 log records refused');
    const traces = RESPONSE_DECODERS.traces[encoding].deserializeResponse(
      exportAnswer('traces', encoding, partial).body
    );
    expect(Number(traces.partialSuccess?.rejectedSpans)).toBe(3);
  });

  it('answers in the content type of the request', () => {
    expect(exportAnswer('logs', 'json').headers['Content-Type']).toBe('application/json');
    expect(exportAnswer('logs', 'protobuf').headers['Content-Type']).toBe('application/x-protobuf');
  });
});

describe('failureAnswer: a google.rpc.Status', () => {
  it('in protobuf: code (field 1, varint) and message (field 2, length-delimited), as the Collector decodes it', () => {
    const answer = failureAnswer(400, 'protobuf', 'bad');
    expect(answer.status).toBe(400);
    expect([...answer.body]).toEqual([0x08, 3, 0x12, 3, ...Buffer.from('bad')]);
    expect(answer.headers['Retry-After']).toBeUndefined();
  });

  it('in JSON, and with Retry-After in whole seconds when the client should come back', () => {
    const answer = failureAnswer(503, 'json', 'the ledger cannot commit', 2.2);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body.toString())).toEqual({ code: 14, message: 'the ledger cannot commit' });
    expect(answer.headers).toEqual({ 'Content-Type': 'application/json', 'Retry-After': '3' });
    // Retry-After is delay-seconds, a non-negative integer (RFC 9110 10.2.3): a moment is one second, never 0.
    expect(failureAnswer(429, 'json', 'busy', 0.2).headers['Retry-After']).toBe('1');
    expect(failureAnswer(429, 'json', 'busy', 0).headers['Retry-After']).toBe('1');
  });
});

describe('partialSuccessOf', () => {
  const refusal = (i: number) => ({
    where: `request.resourceLogs[0].scopeLogs[0].logRecords[${i}]`,
    reason: 'missing_field',
    message: 'missing model (model)',
  });

  it('is undefined when nothing was refused', () => {
    expect(partialSuccessOf('logs', 0, [])).toBeUndefined();
  });

  it('counts every refusal and names the first five', () => {
    const partial = partialSuccessOf('logs', 7, [0, 1, 2, 3, 4, 5, 6].map(refusal))!;
    expect(partial.rejected).toBe(7);
    expect(partial.message).toMatch(
      /^7 log records refused \(quarantined\): request\.resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]: missing_field: missing model \(model\); /
    );
    expect(partial.message).toContain('logRecords[4]');
    expect(partial.message).not.toContain('logRecords[5]');
    expect(partial.message).toMatch(/; and 2 more$/);
  });

  it('counts refusals it was not given the details of', () => {
    expect(partialSuccessOf('traces', 30, [refusal(0)])!.message).toMatch(
      /^30 spans refused .*logRecords\[0\]: .*; and 29 more$/
    );
  });
});
