import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRejection } from '../types';
import { LineParser } from './lineParser';

describe('envoy preset: Red Hat MaaS identity', () => {
  // An Istio JSON access log line with the keys of MaaS's own usage log (opendatahub-io/models-as-a-service
  // deployment/components/observability/usage-logs/envoy-otel-access-log.yaml: user_id, subscription, groups
  // from X-MaaS-Username / X-MaaS-Subscription / X-MaaS-Group, key_id and key_name from Kuadrant's auth
  // identity, model and tokens_* from the response's usage), in the format docs/formats.md gives. Envoy's
  // JSON format keeps numbers typed (%DURATION%, %RESPONSE_CODE%); metadata may arrive as strings.
  const line = {
    start_time: '2026-11-30T10:00:00.123Z',
    'x-request-id': '5f1c2a9e-8d7b-4c3a-9f0e-1d2c3b4a5f6e',
    duration: 842,
    response_code: 200,
    user_id: 'alice@example.com',
    subscription: 'premium-subscription',
    groups: '["system:authenticated","tenant-a"]',
    key_id: 'k-7f3a',
    key_name: 'ci-bot',
    model: 'granite-3-8b-instruct',
    tokens_prompt: '120',
    tokens_completion: 48,
    tokens_total: 168,
  };
  const parser = new LineParser({ format: 'envoy', mappings: {} });

  it('reads user, subscription (as the tier), API key, model and tokens', () => {
    const parsed = parser.parse(JSON.stringify(line));
    if (isRejection(parsed)) throw new Error(parsed.message);
    const r = parsed.record;
    expect([r.requestId, r.startMs, r.durationMs, r.httpStatus]).toEqual([
      line['x-request-id'],
      Date.parse(line.start_time),
      842,
      200,
    ]);
    expect([r.user, r.tier, r.apiKeyId, r.apiKeyAlias, r.model]).toEqual([
      'alice@example.com',
      'premium-subscription',
      'k-7f3a',
      'ci-bot',
      'granite-3-8b-instruct',
    ]);
    expect([r.tokens.inputUncached, r.tokens.output]).toEqual([120, 48]);
  });

  it('takes the header names as keys when the log names them so', () => {
    const { user_id, subscription, ...rest } = line;
    const parsed = parser.parse(
      JSON.stringify({ ...rest, 'x-maas-username': user_id, 'x-maas-subscription': subscription })
    );
    if (isRejection(parsed)) throw new Error(parsed.message);
    expect([parsed.record.user, parsed.record.tier]).toEqual([user_id, subscription]);
  });
});

describe('envoy preset: cache tokens and the backend', () => {
  // Both key presets of Envoy AI Gateway's access-log docs (genai_* and the literal dotted OpenTelemetry keys), with
  // the cache counts under the names docs/formats.md gives: genai_tokens_cached_input / _cache_creation_input and
  // the GenAI semantic conventions' gen_ai.usage.cache_read.input_tokens / cache_creation.input_tokens
  // (open-telemetry/semantic-conventions model/gen-ai/registry.yaml). The input count includes both.
  const parser = new LineParser({ format: 'envoy', mappings: {} });
  const recordOf = (line: Record<string, unknown>) => {
    const parsed = parser.parse(JSON.stringify({ start_time: '2025-01-01T10:00:00.123Z', duration: 1874, ...line }));
    if (isRejection(parsed)) throw new Error(parsed.message);
    return parsed.record;
  };

  it('reads the genai_* keys', () => {
    const r = recordOf({
      genai_backend_name: 'default/anthropic/route/chat-route/rule/0/ref/0',
      genai_model_name: 'claude-sonnet-4-5',
      genai_tokens_input: 1000,
      genai_tokens_cached_input: 600,
      genai_tokens_cache_creation_input: 300,
      genai_tokens_output: 50,
    });
    expect(r.provider).toBe('default/anthropic/route/chat-route/rule/0/ref/0');
    expect(r.tokens).toMatchObject({ inputUncached: 100, cacheRead: 600, cacheWrite: 300, output: 50 });
  });

  it('reads the literal dotted gen_ai.* keys', () => {
    const r = recordOf({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.cache_read.input_tokens': 600,
      'gen_ai.usage.cache_creation.input_tokens': 300,
      'gen_ai.usage.output_tokens': 50,
    });
    expect(r.provider).toBe('anthropic');
    expect(r.tokens).toMatchObject({ inputUncached: 100, cacheRead: 600, cacheWrite: 300, output: 50 });
  });
});

describe('litellm preset: service tier', () => {
  // StandardLoggingPayload (BerriAI/litellm litellm/types/utils.py): `response` is the provider's answer (OpenAI
  // writes the tier it served in `service_tier`), `model_parameters` the request's optional params.
  const base = JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/litellm.jsonl'), 'utf8').split('\n')[0]!);
  const parser = new LineParser({ format: 'litellm', mappings: {} });
  const tierOf = (extra: Record<string, unknown>): string | undefined => {
    const parsed = parser.parse(JSON.stringify({ ...base, ...extra }));
    if (isRejection(parsed)) throw new Error(parsed.message);
    return parsed.record.serviceTier;
  };

  it('is the tier the provider answered with, else the one asked for', () => {
    expect(tierOf({ response: { service_tier: 'flex' }, model_parameters: { service_tier: 'priority' } })).toBe('flex');
    expect(tierOf({ model_parameters: { service_tier: 'Priority' } })).toBe('priority');
  });
});

describe('otel preset: GenAI spans', () => {
  // A span as parse/otlp/genAiSpans.ts writes it (attributes of the GenAI semantic conventions,
  // open-telemetry/semantic-conventions model/gen-ai/registry.yaml; LiteLLM's OpenTelemetry callback adds its
  // metadata as metadata.<key>, litellm/integrations/opentelemetry.py).
  const span = (attributes: Record<string, unknown>, status?: string) =>
    JSON.stringify({
      otel_span: { id: 'trace1:span1', start_time_unix_ms: 1764600000123, end_time_unix_ms: 1764600002623, status },
      attributes: { 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 50, ...attributes },
    });
  const recordOf = (text: string) => {
    const parsed = new LineParser({ format: 'auto', mappings: {} }).parse(text);
    if (isRejection(parsed)) throw new Error(parsed.message);
    expect(parsed.format).toBe('otel');
    return parsed.record;
  };

  it('reads every field of a full span', () => {
    const r = recordOf(
      span(
        {
          'gen_ai.response.id': 'chatcmpl-1',
          'gen_ai.request.model': 'gpt-4.1',
          'gen_ai.response.model': 'gpt-4.1-2025-04-14',
          'gen_ai.provider.name': 'openai',
          'gen_ai.system': 'openai-old',
          'http.response.status_code': 200,
          'user.id': 'alice',
          'enduser.id': 'alice-old',
          'metadata.user_api_key_hash': 'a3c9e1f0',
          'metadata.user_api_key_alias': 'ci-bot',
          'metadata.user_api_key_team_alias': 'finance',
          'metadata.user_api_key_team_id': 'team-7',
          'gen_ai.usage.cache_read.input_tokens': 600,
          'gen_ai.usage.cache_creation.input_tokens': 300,
          'gen_ai.usage.reasoning.output_tokens': 20,
        },
        'ok'
      )
    );
    expect(r).toMatchObject({
      requestId: 'chatcmpl-1',
      startMs: 1764600000123,
      durationMs: 2500,
      user: 'alice',
      apiKeyId: 'a3c9e1f0',
      apiKeyAlias: 'ci-bot',
      team: 'finance',
      model: 'gpt-4.1-2025-04-14',
      modelRequested: 'gpt-4.1',
      provider: 'openai',
      status: 'success',
      httpStatus: 200,
      tokens: { inputUncached: 100, cacheRead: 600, cacheWrite: 300, output: 50, reasoning: 20 },
    });
  });

  it('falls back field by field: span id, request model, gen_ai.system, enduser.id, LiteLLM metadata', () => {
    expect(
      recordOf(
        span(
          {
            'gen_ai.request.model': 'gpt-4.1',
            'gen_ai.system': 'openai',
            'enduser.id': 'bob',
            'metadata.user_api_key_team_id': 'team-7',
          },
          'error'
        )
      )
    ).toMatchObject({
      requestId: 'trace1:span1',
      model: 'gpt-4.1',
      provider: 'openai',
      user: 'bob',
      team: 'team-7',
      status: 'failure',
    });
    expect(
      recordOf(
        span({
          'gen_ai.request.model': 'gpt-4.1',
          'metadata.user_api_key_user_id': 'carol',
          'gen_ai.usage.prompt_tokens': 7,
        })
      )
    ).toMatchObject({ user: 'carol', status: 'success', tokens: { inputUncached: 1000 } });
  });

  it('reads the older prompt_tokens / completion_tokens names', () => {
    const text = JSON.stringify({
      otel_span: { id: 'trace1:span2', start_time_unix_ms: 1764600000123 },
      attributes: {
        'gen_ai.request.model': 'gpt-4.1',
        'gen_ai.usage.prompt_tokens': 7,
        'gen_ai.usage.completion_tokens': 3,
      },
    });
    expect(recordOf(text).tokens).toMatchObject({ inputUncached: 7, output: 3 });
  });
});
