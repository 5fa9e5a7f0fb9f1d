import { genAiSpanTexts } from './genAiSpans';
import { OtlpDecodeError } from './objectForm';

// Spans in OTLP JSON (opentelemetry-proto docs/specification.md, "JSON Protobuf Encoding": ids in hex, fixed64 times
// as decimal text, enums as numbers), with the GenAI usage attribute that makes a span usage
// (open-telemetry/semantic-conventions model/gen-ai/registry.yaml).
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const requestOf = (span: Record<string, unknown>) => ({
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: TRACE,
              spanId: 'b7ad6b7169203331',
              startTimeUnixNano: '1764600000123000000',
              endTimeUnixNano: '1764600002623000000',
              attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } }],
              ...span,
            },
          ],
        },
      ],
    },
  ],
});
const spanOf = (span: Record<string, unknown>): Record<string, unknown> => {
  const items = genAiSpanTexts(requestOf(span), 'hex');
  expect(items.texts).toHaveLength(1);
  return (JSON.parse(items.texts[0]!.text) as { otel_span: Record<string, unknown> }).otel_span;
};

describe('genAiSpanTexts: what a span may leave out', () => {
  it('a status without a code, or with a null one, says nothing; codes 1 and 2 are ok and error', () => {
    expect(spanOf({ status: {} }).status).toBeUndefined();
    expect(spanOf({ status: { code: null } }).status).toBeUndefined();
    expect(spanOf({ status: { code: 1 } }).status).toBe('ok');
    expect(spanOf({ status: { code: 2 } }).status).toBe('error');
  });

  it('a status code written as its name is refused naming the place', () => {
    expect(() => genAiSpanTexts(requestOf({ status: { code: 'STATUS_CODE_ERROR' } }), 'hex')).toThrow(
      new OtlpDecodeError(
        'request.resourceSpans[0].scopeSpans[0].spans[0].status.code: expected a number (OTLP JSON writes enums as numbers)'
      )
    );
  });

  it('a span without its trace id or its span id has no id; one without an end time has none', () => {
    expect(spanOf({ traceId: '' }).id).toBeUndefined();
    expect(spanOf({ spanId: undefined }).id).toBeUndefined();
    expect(spanOf({}).id).toBe(`${TRACE}:b7ad6b7169203331`);
    const noEnd = spanOf({ endTimeUnixNano: undefined });
    expect([noEnd.start_time_unix_ms, noEnd.end_time_unix_ms]).toEqual([1764600000123, undefined]);
  });
});
