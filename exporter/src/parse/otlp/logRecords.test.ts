import { logRecordTexts } from './logRecords';
import { OtlpDecodeError } from './objectForm';

// Log records in OTLP JSON (opentelemetry-proto docs/specification.md, "JSON Protobuf Encoding"); a body is an AnyValue
// (opentelemetry/proto/common/v1/common.proto).
const requestOf = (records: unknown[]) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });

describe('logRecordTexts', () => {
  it('a string body is the line as written; a map body its JSON text; no body is null', () => {
    const items = logRecordTexts(
      requestOf([
        { body: { stringValue: '{"a":1}' } },
        { body: { kvlistValue: { values: [{ key: 'a', value: { intValue: '1' } }] } } },
        {},
      ])
    );
    expect(items.texts.map((t) => t.text)).toEqual(['{"a":1}', '{"a":1}', 'null']);
    expect(items.texts[2]!.where).toBe('request.resourceLogs[0].scopeLogs[0].logRecords[2]');
  });

  it('a body that is not an AnyValue is refused naming its place', () => {
    expect(() => logRecordTexts(requestOf([{ body: { boolValue: 'yes' } }]))).toThrow(
      new OtlpDecodeError('request.resourceLogs[0].scopeLogs[0].logRecords[0].body.boolValue: expected a boolean')
    );
    expect(() => logRecordTexts(requestOf([null]))).toThrow(
      new OtlpDecodeError('request.resourceLogs[0].scopeLogs[0].logRecords[0]: expected an object')
    );
  });
});
