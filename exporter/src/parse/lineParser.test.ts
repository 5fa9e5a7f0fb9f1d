import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRejection, NO_TOKENS, ParseRejection } from '../types';
import { Framer, FramedText } from './framer';
import { invalidJsonMessage, LineParser, ParsedLine, ParserOptions } from './lineParser';
import { compileFieldSpec, Mapping } from './mapping';
import { compileMapping, PRESETS } from './presets';

const FIXTURES = join(__dirname, '../../test/fixtures');

function parseFile(
  name: string,
  options: ParserOptions = { format: 'auto', mappings: {} }
): (ParsedLine | ParseRejection)[] {
  const framer = new Framer(0, 1, 1 << 20);
  const texts: FramedText[] = [];
  framer.push(readFileSync(join(FIXTURES, name)), texts);
  framer.finish(texts);
  const parser = new LineParser(options);
  return texts.map((t) => parser.parse(t.text));
}

function records(name: string, options?: ParserOptions): ParsedLine[] {
  const out = parseFile(name, options);
  const bad = out.filter(isRejection);
  expect(bad).toEqual([]);
  return out as ParsedLine[];
}

describe('LiteLLM StandardLoggingPayload', () => {
  let first: ParsedLine | undefined, failed: ParsedLine | undefined, reasoning: ParsedLine | undefined;
  beforeEach(() => {
    [first, failed, reasoning] = records('litellm.jsonl');
  });

  it('maps identity, model, times and status', () => {
    expect(first!.format).toBe('litellm');
    expect(first!.record).toMatchObject({
      requestId: 'chatcmpl-7d2f0a1e-0001',
      startMs: 1735725600123,
      durationMs: 3864,
      user: 'alice@example.com',
      apiKeyId: 'a3c9e1f07b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e',
      apiKeyAlias: 'ci-bot',
      team: 'engineering',
      tier: 'gold',
      model: 'claude-sonnet-4-5-20250929',
      provider: 'anthropic',
      status: 'success',
    });
  });

  it('takes cached input from metadata.usage_object.prompt_tokens_details.cached_tokens', () => {
    expect(first!.record.tokens).toEqual({
      ...NO_TOKENS,
      inputUncached: 500,
      cacheRead: 1000,
      cacheWrite: 0,
      output: 375,
      reasoning: 0,
    });
  });

  it('keeps failures with their HTTP code and falls back to the team id', () => {
    expect(failed!.record).toMatchObject({
      status: 'failure',
      httpStatus: 429,
      team: 'team-eng',
      apiKeyAlias: undefined,
      tier: undefined,
    });
    expect(failed!.record.tokens).toEqual({
      ...NO_TOKENS,
      inputUncached: 0,
      cacheRead: 0,
      cacheWrite: 0,
      output: 0,
      reasoning: 0,
    });
  });

  it('keeps reasoning tokens inside output', () => {
    expect(reasoning!.record.tokens).toEqual({
      ...NO_TOKENS,
      inputUncached: 512,
      cacheRead: 1536,
      cacheWrite: 0,
      output: 900,
      reasoning: 640,
    });
  });

  it('never carries prompt or response content into the record', () => {
    expect(JSON.stringify(first!.record, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(
      /SECRET/
    );
  });

  it('reads the pretty-printed multi-line stdout form between other log lines', () => {
    const out = parseFile('litellm-stdout.log');
    expect(out.map((o) => (isRejection(o) ? o.reason : o.format))).toEqual(['invalid_json', 'litellm', 'invalid_json']);
    const rec = (out[1] as ParsedLine).record;
    expect(rec).toMatchObject({ requestId: 'chatcmpl-pretty-0001', user: 'carol@example.com', team: 'research' });
    expect(rec.tokens).toEqual({
      ...NO_TOKENS,
      inputUncached: 48,
      cacheRead: 500,
      cacheWrite: 2100,
      output: 312,
      reasoning: 0,
    });
  });
});

describe('Kong AI Gateway file-log', () => {
  let first: ParsedLine | undefined, docsSpelling: ParsedLine | undefined, failed: ParsedLine | undefined;
  beforeEach(() => {
    [first, docsSpelling, failed] = records('kong.jsonl');
  });

  it('maps consumer, credential, tags, served model and epoch-ms start', () => {
    expect(first!.format).toBe('kong');
    expect(first!.record).toMatchObject({
      requestId: '3a7f0c9e1b2d4e6f8a0b1c2d3e4f5a6b',
      startMs: 1735725600119,
      durationMs: 2405,
      user: 'alice',
      apiKeyId: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
      team: 'eng',
      tier: 'gold',
      model: 'gpt-4o-2024-08-06',
      provider: 'openai',
      httpStatus: 200,
      status: 'success',
    });
    expect(first!.record.tokens).toMatchObject({ inputUncached: 812, output: 164 });
  });

  it('accepts the prompt_token spelling the docs show', () => {
    expect(docsSpelling!.record.tokens).toMatchObject({ inputUncached: 120, output: 30 });
    expect(docsSpelling!.record.tier).toBe('free');
  });

  it('reads the older ai["ai-proxy"] namespace and marks 5xx as failure', () => {
    expect(failed!.record).toMatchObject({ status: 'failure', httpStatus: 500, model: 'gpt-4o' });
  });
});

describe('Envoy AI Gateway access log', () => {
  let genai: ParsedLine | undefined, otel: ParsedLine | undefined, failed: ParsedLine | undefined;
  beforeEach(() => {
    [genai, otel, failed] = records('envoy.jsonl');
  });

  it('reads the genai_* key preset', () => {
    expect(genai!.format).toBe('envoy');
    expect(genai!.record).toMatchObject({
      requestId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
      startMs: Date.parse('2025-01-01T10:00:00.123Z'),
      durationMs: 1874,
      user: 'alice',
      tier: 'gold',
      model: 'gpt-4o-mini',
    });
    expect(genai!.record.tokens).toMatchObject({ inputUncached: 523, output: 91 });
  });

  it('reads the literal dotted gen_ai.* key preset', () => {
    expect(otel!.record).toMatchObject({ model: 'gpt-4o', provider: 'openai', user: 'dave' });
    expect(otel!.record.tokens).toMatchObject({ inputUncached: 1200, output: 300 });
  });

  it('records a failure with null tokens as a zero-token request', () => {
    expect(failed!.record).toMatchObject({ status: 'failure', httpStatus: 503 });
    expect(failed!.record.tokens.inputUncached).toBe(0);
  });

  it('takes user and tier from configured fields', () => {
    const mapping = {
      ...PRESETS.envoy,
      fields: { ...PRESETS.envoy.fields, user: compileFieldSpec('x-forwarded-user'), tier: compileFieldSpec('plan') },
    };
    const parser = new LineParser({ format: 'envoy', mappings: { envoy: mapping } });
    const out = parser.parse(
      '{"genai_model_name":"m","start_time":"2025-01-01T00:00:00Z","x-forwarded-user":"zoe","plan":"silver","user_id":"ignored"}'
    );
    expect((out as ParsedLine).record).toMatchObject({ user: 'zoe', tier: 'silver' });
  });
});

describe('generic JSON mapping', () => {
  const genericMapping = (): Mapping =>
    compileMapping(
      {
        requestId: 'req.id',
        startTime: 'ts',
        durationMs: 'latency_ms',
        user: 'auth.sub',
        apiKey: 'req.headers.x-api-key',
        team: 'org.team',
        tier: 'org.plan',
        model: 'model',
        status: 'status',
        usage: 'response.usage',
      },
      'auto',
      true
    );
  // Compiled and read in each test, not while this file loads, so that each test is credited with the code it runs.
  let mapping: Mapping;
  let anthropic: ParsedLine | undefined, openai: ParsedLine | undefined, failed: ParsedLine | undefined;
  beforeEach(() => {
    mapping = genericMapping();
    [anthropic, openai, failed] = records('generic.jsonl', { format: 'generic', mappings: { generic: mapping } });
  });

  it('understands an Anthropic-style usage object', () => {
    expect(anthropic!.record.tokens).toEqual({
      ...NO_TOKENS,
      inputUncached: 48,
      cacheRead: 500,
      cacheWrite: 2100,
      output: 312,
      reasoning: 0,
    });
    expect(anthropic!.record).toMatchObject({ user: 'erin', team: 'finance', tier: 'premium', httpStatus: 200 });
  });

  it('understands an OpenAI-style usage object', () => {
    expect(openai!.record.tokens).toEqual({
      ...NO_TOKENS,
      inputUncached: 1024,
      cacheRead: 1024,
      cacheWrite: 0,
      output: 100,
      reasoning: 0,
    });
  });

  it('hashes a raw API key and never keeps it', () => {
    expect(anthropic!.record.apiKeyId).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(anthropic!.record)).not.toContain('sk-live');
  });

  it('reads a word status', () => {
    expect(failed!.record.status).toBe('failure');
  });

  it('is tried in auto mode for lines no preset recognises', () => {
    const out = new LineParser({ format: 'auto', mappings: { generic: mapping } }).parse(
      '{"ts":1735725600,"model":"m","req":{"id":"r1"}}'
    );
    expect((out as ParsedLine).format).toBe('generic');
    expect((out as ParsedLine).record.startMs).toBe(1735725600000);
  });

  it('a forced generic format reads every line through its mapping, even a complete LiteLLM one', () => {
    // The mapping of a user who reads LiteLLM's log with their own field choices: the model asked for, not served.
    const own = compileMapping({ startTime: 'startTime', model: 'model_group' }, 's', true);
    const line = readFileSync(join(FIXTURES, 'litellm.jsonl'), 'utf8').split('\n')[0]!;
    const out = new LineParser({ format: 'generic', mappings: { generic: own } }).parse(line);
    expect(out).toMatchObject({ format: 'generic', record: { model: 'claude-sonnet', startMs: 1735725600123 } });
  });

  it('a forced generic format without a mapping refuses every line, saying what is missing', () => {
    expect(new LineParser({ format: 'generic', mappings: {} }).parse('{"ts":1735725600,"model":"m"}')).toEqual({
      reason: 'unrecognized_format',
      message: 'format generic needs a mapping in the source config',
    });
  });

  it('in auto mode, reads a line that only resembles a gateway (a key LiteLLM also writes) before any preset does', () => {
    const line = '{"ts":1735725600,"model":"m","custom_llm_provider":"vllm","req":{"id":"r1"}}';
    expect((new LineParser({ format: 'auto', mappings: { generic: mapping } }).parse(line) as ParsedLine).format).toBe(
      'generic'
    );
    // Without a generic mapping the same line is taken for LiteLLM's, refused naming the field it lacks.
    expect(new LineParser({ format: 'auto', mappings: {} }).parse(line)).toMatchObject({
      reason: 'missing_field',
      field: 'startTime',
    });
  });
});

describe('bad lines', () => {
  it('are rejected by reason with the field named', () => {
    const out = parseFile('malformed.jsonl');
    const summary = out.map((o) => (isRejection(o) ? `${o.reason}${o.field ? ':' + o.field : ''}` : 'ok'));
    expect(summary).toEqual([
      'ok',
      'invalid_json',
      'invalid_field:prompt_tokens',
      'missing_field:model',
      'unrecognized_format',
      'invalid_field:startTime',
      'invalid_json',
      'ok',
    ]);
    expect((out[2] as ParseRejection).message).toBe('prompt_tokens: expected a non-negative integer, got -5');
  });

  it("a forced format rejects another gateway's lines", () => {
    const kongLine = readFileSync(join(FIXTURES, 'kong.jsonl'), 'utf8').split('\n')[0]!;
    expect(new LineParser({ format: 'litellm', mappings: {} }).parse(kongLine)).toMatchObject({
      reason: 'unrecognized_format',
    });
  });

  it('a line without a request id gets a stable content hash as its id', () => {
    const p = new LineParser({ format: 'envoy', mappings: {} });
    const line = '{"genai_model_name":"m","start_time":"2025-01-01T00:00:00Z"}';
    const a = p.parse(line) as ParsedLine;
    expect(a.record.requestId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((p.parse(line) as ParsedLine).record.requestId).toBe(a.record.requestId);
  });
});

describe('invalid JSON messages', () => {
  const parser = new LineParser({ format: 'auto', mappings: {} });
  const messageOf = (text: string): string => {
    const out = parser.parse(text);
    expect(out).toMatchObject({ reason: 'invalid_json' });
    return (out as ParseRejection).message;
  };

  it('never repeat any of the input', () => {
    const inputs = [
      'sk-live-SECRET1',
      '{"api_key":sk-live-SECRET1}',
      '{"prompt":"SECRET PROMPT", "x": SECRETWORD}',
      '{"prompt":"SECRET PROMPT"',
      `{"prompt":"${'SECRET '.repeat(50)}" "next":1}`,
      '{"prompt":"SECRET\nPROMPT"}',
      'Authorization: Bearer sk-live-SECRET1',
    ];
    for (const text of inputs) expect(messageOf(text)).not.toMatch(/SECRET|sk-live|Bearer|prompt|api_key|next/i);
  });

  it('give the byte offset V8 reports, counted in UTF-8 bytes', () => {
    expect(messageOf('{"a":1,}')).toBe(
      'not valid JSON at byte offset 7 of the line: expected double-quoted property name'
    );
    expect(messageOf('{"é":1 "b":2}')).toBe(
      "not valid JSON at byte offset 8 of the line: expected ',' or '}' after property value"
    );
    expect(messageOf('{"a":1}x')).toBe(
      'not valid JSON at byte offset 7 of the line: unexpected non-whitespace character after JSON'
    );
  });

  it('say what they can when V8 gives no position', () => {
    expect(messageOf('{"a":')).toBe('not valid JSON: unexpected end of input');
    expect(messageOf('this is not json at all')).toBe('not valid JSON: the line does not start with "{"');
    expect(messageOf('{"a":sk-live-SECRET1}')).toBe('not valid JSON: unexpected character');
  });

  it('tell a line that starts like JSON from one that does not, after leading blanks', () => {
    expect(messageOf('[sk-live-SECRET1]')).toBe('not valid JSON: unexpected character');
    expect(messageOf('  {"a":sk-live-SECRET1}')).toBe('not valid JSON: unexpected character');
    expect(messageOf('  sk-live-SECRET1')).toBe('not valid JSON: the line does not start with "{"');
  });

  it('describe a V8 error it does not know by its position only', () => {
    expect(invalidJsonMessage('{"k":"SECRET"}', new SyntaxError('Weird "SECRET" thing in JSON at position 5'))).toBe(
      'not valid JSON at byte offset 5 of the line'
    );
    expect(invalidJsonMessage('{"k":"SECRET"}', new SyntaxError('Something new about "SECRET"'))).toBe(
      'not valid JSON: unexpected character'
    );
    expect(
      invalidJsonMessage(
        '{"a":1,}',
        new SyntaxError('Expected double-quoted property name in JSON at position 7 (line 1 column 8)')
      )
    ).toBe('not valid JSON at byte offset 7 of the line: expected double-quoted property name');
    // a position quoted from the line itself is not taken for V8's
    expect(
      invalidJsonMessage(
        '{x at position 3',
        new SyntaxError('Unexpected token \'x\', "{x at position 3" is not valid JSON')
      )
    ).toBe('not valid JSON: unexpected character');
  });
});

describe('auto-detection of incomplete gateway lines', () => {
  const auto = new LineParser({ format: 'auto', mappings: {} });
  const fixtureObject = (name: string, index = 0): Record<string, unknown> =>
    JSON.parse(readFileSync(join(FIXTURES, name), 'utf8').split('\n')[index]!);
  const rejectionOf = (o: Record<string, unknown>, parser = auto): ParseRejection => {
    const out = parser.parse(JSON.stringify(o));
    expect(isRejection(out)).toBe(true);
    return out as ParseRejection;
  };

  it('refuses a LiteLLM line without model or startTime as missing_field naming it', () => {
    const { model: _model, ...noModel } = fixtureObject('litellm.jsonl');
    const { startTime: _start, ...noStart } = fixtureObject('litellm.jsonl');
    expect(rejectionOf(noModel)).toEqual({ reason: 'missing_field', field: 'model', message: 'missing model (model)' });
    expect(rejectionOf(noStart)).toEqual({
      reason: 'missing_field',
      field: 'startTime',
      message: 'missing start time (startTime)',
    });
    // the same as with --format litellm
    expect(rejectionOf(noStart, new LineParser({ format: 'litellm', mappings: {} }))).toEqual(rejectionOf(noStart));
  });

  it("reads the review's line (extra fields, no startTime) as LiteLLM", () => {
    const line = {
      id: 'chatcmpl-x',
      call_type: 'acompletion',
      model: 'gpt-4o',
      response_cost: 0,
      message: 'SECRET MESSAGE',
      error_str: 'Provider error: prompt was SECRET PROMPT',
      requester_metadata: { query: 'SECRET QUERY' },
      token: 'sk-RAWKEY-token',
      metadata: { user_api_key_user_id: 'u1', user_api_key_team_id: 't1' },
    };
    const out = rejectionOf(line);
    expect(out).toMatchObject({ reason: 'missing_field', field: 'startTime' });
    expect(out.message).not.toMatch(/SECRET|RAWKEY/);
  });

  it('refuses Kong and Envoy lines without a required field as missing_field', () => {
    const { started_at: _s, ...kongNoStart } = fixtureObject('kong.jsonl');
    expect(rejectionOf(kongNoStart)).toMatchObject({ reason: 'missing_field', field: 'started_at' });
    const kong = fixtureObject('kong.jsonl');
    const ai = kong.ai as { proxy: { meta: Record<string, unknown> } };
    delete ai.proxy.meta.request_model;
    delete ai.proxy.meta.response_model;
    expect(rejectionOf(kong)).toMatchObject({ reason: 'missing_field', field: 'ai.proxy.meta.response_model' });
    const { genai_model_name: _m, ...envoyNoModel } = fixtureObject('envoy.jsonl');
    expect(rejectionOf(envoyNoModel)).toMatchObject({ reason: 'missing_field', field: 'genai_model_name' });
    const { start_time: _t, ...envoyNoStart } = fixtureObject('envoy.jsonl', 1);
    expect(rejectionOf(envoyNoStart)).toMatchObject({ reason: 'missing_field', field: 'start_time' });
  });

  it.each(['[{"model":"m"}]', 'null', '42', '"text"'])('refuses %s: a usage line is a JSON object', (text) => {
    expect(auto.parse(text)).toEqual({ reason: 'invalid_json', message: 'a usage line must be a JSON object' });
  });

  it('says which formats were tried when a line is of none', () => {
    expect(rejectionOf({ message: 'LiteLLM proxy started', level: 'INFO' })).toEqual({
      reason: 'unrecognized_format',
      message: 'not a LiteLLM, Kong or Envoy AI Gateway usage record, and no generic mapping is configured',
    });
    expect(rejectionOf(fixtureObject('kong.jsonl'), new LineParser({ format: 'litellm', mappings: {} }))).toEqual({
      reason: 'unrecognized_format',
      message: 'not a litellm usage record',
    });
  });

  it("keeps lines of no known shape unrecognized_format, and other gateways' lines out of a forced format", () => {
    expect(rejectionOf({ message: 'LiteLLM proxy started', level: 'INFO' })).toMatchObject({
      reason: 'unrecognized_format',
    });
    expect(rejectionOf({ model: 'gpt-4o', prompt_tokens: 3 }).reason).toBe('unrecognized_format');
    const { started_at: _s, ...kongNoStart } = fixtureObject('kong.jsonl');
    expect(rejectionOf(kongNoStart, new LineParser({ format: 'envoy', mappings: {} }))).toMatchObject({
      reason: 'unrecognized_format',
    });
  });
});

describe('timestamp messages', () => {
  it('say which timestamps the format takes', () => {
    const out = parseFile('malformed.jsonl')[5] as ParseRejection;
    expect(out).toEqual({
      reason: 'invalid_field',
      field: 'startTime',
      message: 'startTime: expected a timestamp in epoch seconds, got "yesterday"',
    });
    const kong = new LineParser({ format: 'auto', mappings: {} }).parse(
      '{"ai":{"proxy":{"meta":{"request_model":"m"}}},"started_at":"soon"}'
    );
    expect(kong).toMatchObject({
      field: 'started_at',
      message: 'started_at: expected a timestamp in epoch milliseconds, got "soon"',
    });
  });
});
