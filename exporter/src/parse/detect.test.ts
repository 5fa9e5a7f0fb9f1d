import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { completeShape, detectFormat, partialShape } from './detect';

const FIXTURES = join(__dirname, '../../test/fixtures');
const objects = (name: string): Record<string, unknown>[] =>
  readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
const without = (o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> => {
  const copy = { ...o };
  for (const k of keys) delete copy[k];
  return copy;
};

describe('detectFormat', () => {
  const litellm = objects('litellm.jsonl')[0]!;
  const kong = objects('kong.jsonl')[0]!;
  const envoy = objects('envoy.jsonl');

  it('recognises every complete fixture line', () => {
    expect(objects('litellm.jsonl').map(detectFormat)).toEqual(['litellm', 'litellm', 'litellm']);
    expect(objects('kong.jsonl').map(detectFormat)).toEqual(['kong', 'kong', 'kong']);
    expect(envoy.map(detectFormat)).toEqual(['envoy', 'envoy', 'envoy']);
  });

  it('still recognises a LiteLLM line without model or without startTime by its own keys', () => {
    expect(detectFormat(without(litellm, 'model'))).toBe('litellm');
    expect(detectFormat(without(litellm, 'startTime'))).toBe('litellm');
    expect(detectFormat(without(litellm, 'startTime', 'model'))).toBe('litellm');
    expect(detectFormat({ call_type: 'acompletion', metadata: { user_api_key_hash: 'ab' } })).toBe('litellm');
    expect(detectFormat({ call_type: 'acompletion', startTime: 1735725600 })).toBe('litellm');
    expect(detectFormat({ response_cost: 0.1, model: 'gpt-4o' })).toBe('litellm');
  });

  it('still recognises Kong and Envoy lines that lack a required field', () => {
    expect(detectFormat(without(kong, 'started_at'))).toBe('kong');
    expect(detectFormat(without(envoy[0]!, 'genai_model_name', 'genai_tokens_input'))).toBe('envoy');
    expect(detectFormat(without(envoy[1]!, 'gen_ai.request.model', 'gen_ai.usage.input_tokens'))).toBe('envoy');
  });

  it('does not claim lines of unknown shape', () => {
    expect(
      detectFormat({ message: 'LiteLLM proxy started', level: 'INFO', timestamp: '2025-01-01T10:00:00Z' })
    ).toBeUndefined();
    expect(detectFormat({ model: 'gpt-4o', startTime: 1 })).toBeUndefined();
    expect(detectFormat({ call_type: 'x' })).toBeUndefined();
    expect(detectFormat({ startTime: 1, endTime: 2, metadata: {} })).toBeUndefined();
    expect(detectFormat({ ai: 'proxy', started_at: 1 })).toBeUndefined();
    expect(detectFormat({ 'gen_ai.system': 'openai' })).toBeUndefined();
    expect(detectFormat({ started_at: 1, request: { id: 'r' }, latencies: { request: 3 } })).toBeUndefined();
  });
});

describe('detectFormat: each key the shapes rely on', () => {
  it.each(
    [
      [
        'call_type',
        'response_cost',
        'custom_llm_provider',
        'model_group',
        'completionStartTime',
        'standard_logging_object',
      ].map((k) => [{ [k]: 1, model: 'm' }, 'litellm'] as const),
      [
        [{ startTime: 1, model: 'm', prompt_tokens: 1 }, 'litellm'],
        [{ custom_llm_provider: 'vllm', model_group: 'g' }, 'litellm'],
        [{ completionStartTime: 1, metadata: { user_api_key_alias: 'a' } }, 'litellm'],
        [{ model_group: 'g', metadata: { user_id: 'a' } }, undefined],
        [{ model_group: 'g', metadata: ['user_api_key_alias'] }, undefined],
        [{ ai: { proxy: {} }, started_at: 1 }, 'kong'],
        [{ ai: { 'ai-proxy': {} } }, 'kong'],
        [{ ai: { other: {} }, started_at: 1 }, undefined],
        [{ ai: ['proxy'] }, undefined],
        [{ genai_tokens_input: 1 }, 'envoy'],
        [{ genai_backend_name: 'b' }, 'envoy'],
        [{ 'gen_ai.request.model': 'm' }, 'envoy'],
        [{ 'gen_ai.usage.input_tokens': 1 }, 'envoy'],
        [{ 'gen_ai.provider.name': 'p', start_time: 't' }, 'envoy'],
        [{ 'gen_ai.provider.name': 'p', response_code: 200 }, 'envoy'],
        [{ 'x.gen_ai.provider': 'p', response_code: 200 }, undefined],
      ] as const,
    ].flat()
  )('%j is %s', (line, format) => {
    expect(detectFormat(line as Record<string, unknown>)).toBe(format);
  });
});

describe('completeShape and partialShape: what a generic mapping does not override, and what it does', () => {
  it('takes a line as complete only with the fields detection relies on', () => {
    const complete: [Record<string, unknown>, string][] = [
      [{ startTime: 1, model: 'm', call_type: 'acompletion' }, 'litellm'],
      [{ startTime: 1, model: 'm', response_cost: 0.1 }, 'litellm'],
      [{ startTime: 1, model: 'm', prompt_tokens: 3 }, 'litellm'],
      [{ ai: { proxy: {} }, started_at: 1 }, 'kong'],
      [{ ai: { 'ai-proxy': {} }, started_at: 1 }, 'kong'],
      [{ otel_span: {} }, 'otel'],
      [{ genai_model_name: 'm' }, 'envoy'],
      [{ genai_tokens_input: 3 }, 'envoy'],
      [{ 'gen_ai.request.model': 'm' }, 'envoy'],
      [{ 'gen_ai.usage.input_tokens': 3 }, 'envoy'],
    ];
    for (const [o, format] of complete) expect([o, completeShape(o)]).toEqual([o, format]);
    const partial: [Record<string, unknown>, string][] = [
      [{ startTime: 1, call_type: 'acompletion' }, 'litellm'],
      [{ model: 'm', response_cost: 0.1 }, 'litellm'],
      [{ call_type: 'acompletion', model_group: 'g' }, 'litellm'],
      [{ ai: { proxy: {} } }, 'kong'],
      [{ genai_backend_name: 'b' }, 'envoy'],
      [{ 'gen_ai.system': 'openai', start_time: 't' }, 'envoy'],
      [{ 'gen_ai.system': 'openai', response_code: 200 }, 'envoy'],
    ];
    for (const [o, format] of partial) expect([o, completeShape(o), partialShape(o)]).toEqual([o, undefined, format]);
    expect([completeShape({ startTime: 1, model: 'm' }), partialShape({ startTime: 1, model: 'm' })]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('takes an OpenTelemetry span only when its otel_span is an object', () => {
    expect(partialShape({ otel_span: {} })).toBe('otel');
    for (const span of ['text', null, [], 1])
      expect([span, completeShape({ otel_span: span }), partialShape({ otel_span: span })]).toEqual([
        span,
        undefined,
        undefined,
      ]);
    expect(partialShape({ call_type: 'x', metadata: ['user_api_key_hash'] })).toBeUndefined();
    expect(partialShape({ ai: ['proxy'] })).toBeUndefined();
  });
});
