import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Encoding, logsBody, SpanInput, tracesBody } from '../../../test/fixtures/otlp/officialEncoder';
import { DEFAULT_PRICING_EXTRAS, isRejection, NO_TOKENS } from '../../types';
import { LineParser, ParsedLine } from '../lineParser';
import { OtlpDecodeError } from './objectForm';
import { exportTexts, parseExport } from './otlpExport';

const FIXTURES = join(__dirname, '../../../test/fixtures');
const ENCODINGS: Encoding[] = ['protobuf', 'json'];

function fixtureLines(name: string): string[] {
  return readFileSync(join(FIXTURES, name), 'utf8').split('\n').filter(Boolean);
}

const auto = (): LineParser => new LineParser({ format: 'auto', mappings: {} });
const otel = (): LineParser => new LineParser({ format: 'otel', mappings: {} });

/** What the same line gives when a file source reads it: the records the pushed ones must equal. */
function parsedAsLine(line: string): ParsedLine {
  const parsed = auto().parse(line);
  if (isRejection(parsed)) throw new Error(`fixture line refused: ${parsed.message}`);
  return parsed;
}

describe.each(ENCODINGS)('POST /v1/logs bodies in %s, built by @opentelemetry/otlp-transformer', (encoding) => {
  const litellm = fixtureLines('litellm.jsonl');
  const kong = fixtureLines('kong.jsonl');

  it('reads a string body as the line it is and a map body as the JSON object it is', () => {
    const body = logsBody(encoding, [
      { body: litellm[0]! },
      { body: JSON.parse(kong[0]!) as Record<string, never> },
      { body: litellm[2]! },
    ]);
    const out = parseExport('logs', encoding, body, auto());
    expect(out.refused).toEqual([]);
    expect(out.skipped).toBe(0);
    expect(out.records.map((r) => [r.format, r.record])).toEqual(
      [litellm[0]!, kong[0]!, litellm[2]!].map((line) => {
        const p = parsedAsLine(line);
        return [p.format, p.record];
      })
    );
    expect(out.records.map((r) => r.where)).toEqual(
      [0, 1, 2].map((i) => `request.resourceLogs[0].scopeLogs[0].logRecords[${i}]`)
    );
  });

  it('a record whose body is neither a line nor an object is refused by the parser as such a line is, named', () => {
    const body = logsBody(encoding, [
      { body: 42 },
      { body: litellm[0]! },
      { body: 'INFO: 127.0.0.1 "POST /chat" 200' },
      { body: undefined },
    ]);
    const out = parseExport('logs', encoding, body, auto());
    expect(out.records).toHaveLength(1);
    expect(out.refused).toEqual([
      {
        where: 'request.resourceLogs[0].scopeLogs[0].logRecords[0]',
        reason: 'invalid_json',
        message: 'a usage line must be a JSON object',
      },
      {
        where: 'request.resourceLogs[0].scopeLogs[0].logRecords[2]',
        reason: 'invalid_json',
        message: 'not valid JSON: the line does not start with "{"',
      },
      {
        where: 'request.resourceLogs[0].scopeLogs[0].logRecords[3]',
        reason: 'invalid_json',
        message: 'a usage line must be a JSON object',
      },
    ]);
  });

  it('an empty request is a success with nothing in it', () => {
    expect(exportTexts('logs', encoding, logsBody(encoding, []))).toEqual({ texts: [], skipped: 0 });
  });
});

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const START = 1_764_600_000_123_456_789n;

/** An OpenAI call with cache reads, described as the semantic conventions say, prompt included. */
const openAiSpan: SpanInput = {
  traceId: TRACE,
  spanId: 'b7ad6b7169203331',
  startNs: START,
  endNs: START + 2_500_000_000n,
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.response.id': 'chatcmpl-AbC123',
    'gen_ai.usage.input_tokens': 1200,
    'gen_ai.usage.cache_read.input_tokens': 1000,
    'gen_ai.usage.output_tokens': 300,
    'user.id': 'alice',
    'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"SECRET PROMPT"}]}]',
    'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"SECRET ANSWER"}]}]',
  },
};

/** An Anthropic call that failed, with the deprecated gen_ai.system, cache writes and reasoning, no response id. */
const anthropicSpan: SpanInput = {
  traceId: TRACE,
  spanId: '00f067aa0ba902b7',
  startNs: START + 10_000_000_000n,
  endNs: START + 10_400_000_000n,
  statusCode: 2,
  attributes: {
    'gen_ai.system': 'anthropic',
    'gen_ai.request.model': 'claude-sonnet-4-5',
    'gen_ai.usage.input_tokens': 500,
    'gen_ai.usage.cache_read.input_tokens': 300,
    'gen_ai.usage.cache_creation.input_tokens': 100,
    'gen_ai.usage.output_tokens': 50,
    'gen_ai.usage.reasoning.output_tokens': 20,
    'error.type': '529',
    'metadata.user_api_key_hash': '5e1f0c2a9b8d7e6f',
    'metadata.user_api_key_team_alias': 'research',
  },
};

/** The HTTP server span around them: no usage, skipped. */
const httpSpan: SpanInput = {
  traceId: TRACE,
  spanId: '53995c3f42cd8ad8',
  startNs: START - 1_000_000n,
  endNs: START + 11_000_000_000n,
  attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200, 'url.path': '/v1/chat/completions' },
};

describe.each(ENCODINGS)('POST /v1/traces bodies in %s, built by @opentelemetry/otlp-transformer', (encoding) => {
  const body = (): Uint8Array => tracesBody(encoding, [openAiSpan, httpSpan, anthropicSpan]);

  it('turns each GenAI span into one otel record, token buckets as the conventions define them', () => {
    const out = parseExport('traces', encoding, body(), otel());
    expect(out.refused).toEqual([]);
    expect(out.skipped).toBe(1);
    expect(out.records.map((r) => r.format)).toEqual(['otel', 'otel']);
    const [openai, anthropic] = out.records.map((r) => r.record);
    expect(openai).toEqual({
      requestId: 'chatcmpl-AbC123',
      startMs: Math.round(Number(START) / 1e6),
      durationMs: 2500,
      user: 'alice',
      apiKeyId: undefined,
      apiKeyAlias: undefined,
      team: undefined,
      tier: undefined,
      model: 'gpt-4o-2024-08-06',
      provider: 'openai',
      status: 'success',
      httpStatus: undefined,
      // input_tokens includes the cache reads
      tokens: { ...NO_TOKENS, inputUncached: 200, cacheRead: 1000, output: 300 },
      ...DEFAULT_PRICING_EXTRAS,
      modelRequested: 'gpt-4o',
      reportedCostPusd: undefined,
    });
    expect(anthropic).toMatchObject({
      requestId: `${TRACE}:00f067aa0ba902b7`,
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      status: 'failure',
      apiKeyId: '5e1f0c2a9b8d7e6f',
      team: 'research',
      durationMs: 400,
      tokens: { ...NO_TOKENS, inputUncached: 100, cacheRead: 300, cacheWrite: 100, output: 50, reasoning: 20 },
    });
  });

  it('keeps no prompt or completion: the texts hold only the attributes the preset reads', () => {
    const { texts } = exportTexts('traces', encoding, body());
    for (const { text } of texts) expect(text).not.toMatch(/SECRET|messages/);
    const first = JSON.parse(texts[0]!.text) as { otel_span: Record<string, number>; attributes: unknown };
    expect(Object.keys(first.otel_span)).toEqual(['id', 'start_time_unix_ms', 'end_time_unix_ms']);
    expect(first.otel_span.id).toBe(`${TRACE}:b7ad6b7169203331`);
    expect(first.otel_span.start_time_unix_ms).toBeCloseTo(1_764_600_000_123.4568, 3);
    expect(first.otel_span.end_time_unix_ms).toBeCloseTo(1_764_600_002_623.4568, 3);
    expect(first).toEqual({
      otel_span: first.otel_span,
      attributes: Object.fromEntries(Object.entries(openAiSpan.attributes).filter(([k]) => !k.endsWith('.messages'))),
    });
  });

  it('auto-detection reads a span as otel, not as Envoy, whose gen_ai.* keys it shares', () => {
    const out = parseExport('traces', encoding, body(), auto());
    expect(out.records.map((r) => r.format)).toEqual(['otel', 'otel']);
  });

  it('refuses a GenAI span without a model or a start time, naming the field', () => {
    const spans = [
      { ...openAiSpan, attributes: { 'gen_ai.usage.input_tokens': 3 } },
      { ...anthropicSpan, startNs: 0n }, // 0 is "unknown" in OTLP
    ];
    const out = parseExport('traces', encoding, tracesBody(encoding, spans), otel());
    expect(out.records).toEqual([]);
    expect(out.refused).toEqual([
      {
        where: 'request.resourceSpans[0].scopeSpans[0].spans[0]',
        reason: 'missing_field',
        message: 'missing model (attributes.["gen_ai.response.model"])',
      },
      {
        where: 'request.resourceSpans[0].scopeSpans[0].spans[1]',
        reason: 'missing_field',
        message: 'missing start time (otel_span.start_time_unix_ms)',
      },
    ]);
  });
});

describe('OTLP JSON as the specification writes it (opentelemetry-proto examples/)', () => {
  const example = (name: string): Uint8Array => readFileSync(join(FIXTURES, 'otlp', name));

  it('reads the example log record: its string body, whatever it is, goes to the parser', () => {
    expect(exportTexts('logs', 'json', example('proto-example-logs.json'))).toEqual({
      texts: [{ where: 'request.resourceLogs[0].scopeLogs[0].logRecords[0]', text: 'Example log record' }],
      skipped: 0,
    });
  });

  it('skips the example span: it has no gen_ai usage', () => {
    expect(exportTexts('traces', 'json', example('proto-example-trace.json'))).toEqual({
      texts: [],
      skipped: 1,
    });
  });

  it('ignores keys it does not know, at every level', () => {
    const body = Buffer.from(
      JSON.stringify({
        future: 1,
        resourceLogs: [{ novel: {}, scopeLogs: [{ logRecords: [{ extra: [1], body: { stringValue: 'x' } }] }] }],
      })
    );
    expect(exportTexts('logs', 'json', body).texts.map((t) => t.text)).toEqual(['x']);
  });

  it('reads hex ids in either case and int64 written as numbers or strings', () => {
    const span = {
      traceId: TRACE.toUpperCase(),
      spanId: 'B7AD6B7169203331',
      startTimeUnixNano: 1_764_600_000_000_000_000, // a JSON number beyond 2^53, exact in a double
      endTimeUnixNano: '1764600001000000000',
      attributes: [
        { key: 'gen_ai.request.model', value: { stringValue: 'm' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: 7 } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: '9' } },
      ],
    };
    const body = Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }));
    const [record] = parseExport('traces', 'json', body, otel()).records;
    expect(record!.record).toMatchObject({
      requestId: `${TRACE}:b7ad6b7169203331`,
      startMs: 1_764_600_000_000,
      durationMs: 1000,
      tokens: { inputUncached: 7, output: 9 },
    });
  });
});

describe("the Collector's otlphttp exporter with encoding: json (test/fixtures/otlp/collector-*.json)", () => {
  const fixture = (name: string): Uint8Array => readFileSync(join(FIXTURES, 'otlp', name));

  it('filelog lines of a pod: LiteLLM lines and a Kong map read, uvicorn noise refused, naming its record', () => {
    const out = parseExport('logs', 'json', fixture('collector-filelog-logs.json'), auto());
    expect(out.records.map((r) => [r.format, r.record.requestId])).toEqual([
      ['litellm', 'chatcmpl-otlp-1'],
      ['litellm', 'chatcmpl-otlp-2'],
      ['kong', 'kong-otlp-1'],
      ['litellm', 'chatcmpl-otlp-3'],
    ]);
    expect(out.refused.map((r) => [r.where, r.reason])).toEqual([
      ['request.resourceLogs[0].scopeLogs[0].logRecords[1]', 'invalid_json'],
    ]);
  });

  it('GenAI spans of an instrumented agent: three calls read, the HTTP span skipped', () => {
    const out = parseExport('traces', 'json', fixture('collector-genai-traces.json'), otel());
    expect(out.skipped).toBe(1);
    expect(out.refused).toEqual([]);
    expect(out.records.map((r) => [r.record.requestId, r.record.model, r.record.status])).toEqual([
      ['chatcmpl-span-1', 'gpt-4o', 'success'],
      ['msg_01XFDUDYJgAACzvnptvVoYEL', 'claude-haiku-4-5', 'success'],
      ['4bf92f3577b34da6a3ce929d0e0e4736:b7ad6b7169203331', 'gpt-4o-mini', 'failure'],
    ]);
  });
});

describe('bodies that are not an export request: OtlpDecodeError (a 400), nothing read', () => {
  const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
  it.each([
    ['truncated protobuf', 'protobuf', Buffer.from([0x0a, 0x05, 0x12])],
    ['a wire type protobuf does not have', 'protobuf', Buffer.from([0x0f])],
    ['text that is not JSON', 'json', Buffer.from('resourceLogs=1')],
    ['a JSON array', 'json', json([])],
    ['resourceLogs that is not a list', 'json', json({ resourceLogs: {} })],
    [
      'an intValue that is not an integer',
      'json',
      json({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { intValue: '1.5' } }] }] }] }),
    ],
    [
      'a stringValue that is a number',
      'json',
      json({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 3 } }] }] }] }),
    ],
  ] as const)('%s', (_, encoding, body) => {
    expect(() => exportTexts('logs', encoding, body)).toThrow(OtlpDecodeError);
  });

  it('names where a JSON body is wrong', () => {
    const usage = [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '1' } }];
    const body = json({
      resourceSpans: [{ scopeSpans: [{ spans: [{ startTimeUnixNano: '-5', attributes: usage }] }] }],
    });
    expect(() => exportTexts('traces', 'json', body)).toThrow(
      'request.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected nanoseconds since the epoch (a fixed64)'
    );
  });
});
