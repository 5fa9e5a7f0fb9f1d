import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineParser, ParsedLine } from '../parse/lineParser';
import { compileMapping } from '../parse/presets';
import { isRejection, UsageRecord } from '../types';
import { loadPriceBookFile } from './loadPriceBook';
import { Price, Pricer } from './pricer';

/**
 * Every billed dimension of #16, priced from real log lines of each gateway that carries it, against the same
 * published rates in both price-book formats. Rates are list prices as published on 2026-12-01:
 * - Anthropic, https://platform.claude.com/docs/en/about-claude/pricing: Claude Sonnet 4.5 $3 input, $3.75 5-minute
 *   cache write (1.25x), $6 1-hour write (2x), $0.30 cache read (0.1x), $15 output per MTok; above 200K input tokens
 *   (input + cache reads + cache writes) every token at $6 / $7.50 / $12 / $0.60 / $22.50. Claude Opus 4.6 $5 / $25,
 *   above 200K $10 / $37.50; fast mode (https://platform.claude.com/docs/en/build-with-claude/fast-mode) 6x
 *   ($30 / $150, above 200K $60 / $225); US-only inference (`inference_geo: "us"`) 1.1x every token category.
 *   Web search $10 per 1,000 searches.
 * - OpenAI, https://platform.openai.com/docs/pricing: gpt-5 $1.25 input, $0.125 cached, $10 output; flex $0.625 /
 *   $0.0625 / $5; priority $2.50 / $0.25 / $20; reasoning tokens are output tokens. gpt-4o $2.50 / $1.25 / $10, web
 *   search by search context size $30 / $35 / $50 per 1,000 calls (LiteLLM: search_context_cost_per_query 0.03 /
 *   0.035 / 0.05). gpt-4o-audio-preview text $2.50 / $10, audio $40 in / $80 out. File search $2.50 per 1,000 tool
 *   calls, code interpreter $0.03 per container session.
 * - Google, https://ai.google.dev/gemini-api/docs/pricing: Gemini 2.5 Pro $1.25 input, $0.125 cached, $10 output;
 *   above 200K prompt tokens $2.50 / $0.25 / $15; grounding with Google Search $35 and with Google Maps $25 per 1,000
 *   grounded prompts (free daily allowances are not modelled). Gemini 2.0 Flash $0.10 text/image/video, $0.70 audio
 *   input, $0.40 output. Gemini 2.5 Flash preview 04-17: $0.15 input, $0.60 non-thinking output, $3.50 thinking
 *   output (LiteLLM: output_cost_per_reasoning_token 3.5e-6).
 * LiteLLM keys as its cost code reads them: litellm/litellm_core_utils/llm_cost_calc/utils.py (generic_cost_per_token,
 * _get_token_base_cost, get_provider_specific_geo_multiplier). Amounts are pico-USD (1e-12 USD); a rate of $X per
 * MTok is X * 1e6 pico-USD per token.
 */

const dir = mkdtempSync(join(tmpdir(), 'tl-published-'));
const write = (name: string, content: string): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

const YAML_BOOK = write(
  'published.yaml',
  `version: published-2026-12-01
unit: per_million_tokens
aliases:
  chat-prod: gpt-5
  "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6": claude-sonnet-4-5
models:
  claude-sonnet-4-5:
    prices:
      - effective_from: 2025-09-29
        input: 3
        cache_write: 3.75
        cache_write_1h: 6
        cache_read: 0.30
        output: 15
        long_context:
          - { above_input_tokens: 200000, input: 6, cache_write: 7.50, cache_write_1h: 12, cache_read: 0.60, output: 22.50 }
        fees:
          web_search: { per: query, per_1k: 10 }
  claude-opus-4-6:
    prices:
      - effective_from: 2025-09-29
        input: 5
        cache_write: 6.25
        cache_write_1h: 10
        cache_read: 0.50
        output: 25
        long_context:
          - { above_input_tokens: 200000, input: 10, cache_write: 12.50, cache_write_1h: 20, cache_read: 1.00, output: 37.50 }
        speed: { fast: 6 }
        inference_geo: { us: 1.1 }
  gpt-5:
    prices:
      - effective_from: 2025-09-29
        input: 1.25
        cache_read: 0.125
        output: 10
        service_tiers:
          flex: { input: 0.625, cache_read: 0.0625, output: 5 }
          priority: { input: 2.50, cache_read: 0.25, output: 20 }
        fees:
          web_search: { per: query, per_1k: 10 }
          file_search: { per_1k: 2.50 }
          code_interpreter: { per_session: 0.03 }
  gpt-4o:
    prices:
      - effective_from: 2025-09-29
        input: 2.50
        cache_read: 1.25
        output: 10
        fees:
          web_search: { per: query, per_1k: { low: 30, medium: 35, high: 50 } }
  gpt-4o-audio-preview:
    prices:
      - { effective_from: 2025-09-29, input: 2.50, output: 10, input_audio: 40, output_audio: 80 }
  gemini-2.5-pro:
    prices:
      - effective_from: 2025-09-29
        input: 1.25
        cache_read: 0.125
        output: 10
        long_context:
          - { above_input_tokens: 200000, input: 2.50, cache_read: 0.25, output: 15 }
        fees:
          web_search: { per: prompt, per_1k: 35 }
          maps_grounding: { per: prompt, per_1k: 25 }
  gemini-2.0-flash:
    prices:
      - { effective_from: 2025-09-29, input: 0.10, input_audio: 0.70, output: 0.40 }
  gemini-2.5-flash-preview-04-17:
    prices:
      - { effective_from: 2025-09-29, input: 0.15, output: 0.60, reasoning: 3.50 }
  "anthropic.claude-3-5-sonnet-20240620-v1:0":
    prices:
      - { effective_from: 2025-09-29, input: 3, output: 15 }
  together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo:
    prices:
      - { effective_from: 2025-09-29, input: 0.88, output: 0.88 }
  fireworks_ai/accounts/fireworks/models/llama-v3p1-70b-instruct:
    prices:
      - { effective_from: 2025-09-29, input: 0.90, output: 0.90 }
`
);

/** The same rates as LiteLLM's model_prices_and_context_window.json keys them (USD per token). */
const LITELLM_BOOK = write(
  'model_prices_and_context_window.json',
  JSON.stringify({
    sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0 },
    'claude-sonnet-4-5': {
      litellm_provider: 'anthropic',
      mode: 'chat',
      input_cost_per_token: 3e-6,
      cache_creation_input_token_cost: 3.75e-6,
      cache_creation_input_token_cost_above_1hr: 6e-6,
      cache_read_input_token_cost: 3e-7,
      output_cost_per_token: 1.5e-5,
      input_cost_per_token_above_200k_tokens: 6e-6,
      cache_creation_input_token_cost_above_200k_tokens: 7.5e-6,
      cache_creation_input_token_cost_above_1hr_above_200k_tokens: 1.2e-5,
      cache_read_input_token_cost_above_200k_tokens: 6e-7,
      output_cost_per_token_above_200k_tokens: 2.25e-5,
      search_context_cost_per_query: {
        search_context_size_low: 0.01,
        search_context_size_medium: 0.01,
        search_context_size_high: 0.01,
      },
      supports_prompt_caching: true,
    },
    'claude-opus-4-6': {
      input_cost_per_token: 5e-6,
      cache_creation_input_token_cost: 6.25e-6,
      cache_creation_input_token_cost_above_1hr: 1e-5,
      cache_read_input_token_cost: 5e-7,
      output_cost_per_token: 2.5e-5,
      input_cost_per_token_above_200k_tokens: 1e-5,
      cache_creation_input_token_cost_above_200k_tokens: 1.25e-5,
      cache_creation_input_token_cost_above_1hr_above_200k_tokens: 2e-5,
      cache_read_input_token_cost_above_200k_tokens: 1e-6,
      output_cost_per_token_above_200k_tokens: 3.75e-5,
      provider_specific_entry: { us: 1.1, fast: 6.0 },
    },
    'gpt-5': {
      input_cost_per_token: 1.25e-6,
      cache_read_input_token_cost: 1.25e-7,
      output_cost_per_token: 1e-5,
      input_cost_per_token_flex: 6.25e-7,
      cache_read_input_token_cost_flex: 6.25e-8,
      output_cost_per_token_flex: 5e-6,
      input_cost_per_token_priority: 2.5e-6,
      cache_read_input_token_cost_priority: 2.5e-7,
      output_cost_per_token_priority: 2e-5,
      search_context_cost_per_query: 0.01,
      file_search_cost_per_1k_calls: 2.5,
      code_interpreter_cost_per_session: 0.03,
    },
    'gpt-4o': {
      input_cost_per_token: 2.5e-6,
      cache_read_input_token_cost: 1.25e-6,
      output_cost_per_token: 1e-5,
      search_context_cost_per_query: {
        search_context_size_low: 0.03,
        search_context_size_medium: 0.035,
        search_context_size_high: 0.05,
      },
    },
    'gpt-4o-audio-preview': {
      input_cost_per_token: 2.5e-6,
      output_cost_per_token: 1e-5,
      input_cost_per_audio_token: 4e-5,
      output_cost_per_audio_token: 8e-5,
    },
    'gemini-2.5-pro': {
      input_cost_per_token: 1.25e-6,
      cache_read_input_token_cost: 1.25e-7,
      output_cost_per_token: 1e-5,
      input_cost_per_token_above_200k_tokens: 2.5e-6,
      cache_read_input_token_cost_above_200k_tokens: 2.5e-7,
      output_cost_per_token_above_200k_tokens: 1.5e-5,
    },
    'gemini-2.0-flash': {
      input_cost_per_token: 1e-7,
      input_cost_per_audio_token: 7e-7,
      output_cost_per_token: 4e-7,
    },
    'gemini-2.5-flash-preview-04-17': {
      input_cost_per_token: 1.5e-7,
      output_cost_per_token: 6e-7,
      output_cost_per_reasoning_token: 3.5e-6,
    },
    'anthropic.claude-3-5-sonnet-20240620-v1:0': { input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5 },
    'together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo': {
      input_cost_per_token: 8.8e-7,
      output_cost_per_token: 8.8e-7,
    },
    'fireworks_ai/accounts/fireworks/models/llama-v3p1-70b-instruct': {
      input_cost_per_token: 9e-7,
      output_cost_per_token: 9e-7,
    },
  })
);

const BOOKS = [
  ['our YAML book', YAML_BOOK],
  ["LiteLLM's price map", LITELLM_BOOK],
] as const;

const START = 1764547200; // 2025-12-01T00:00:00Z, epoch seconds

/**
 * A LiteLLM StandardLoggingPayload line (litellm/types/utils.py: StandardLoggingPayload; `metadata.usage_object`
 * is the response's Usage, `model_map_information.model_map_key` the price-map key LiteLLM billed,
 * `model_parameters` the request's optional params, `response` the provider's response).
 */
function litellmLine(over: Record<string, unknown>, usage: Record<string, unknown>): string {
  return JSON.stringify({
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    call_type: 'acompletion',
    status: 'success',
    startTime: START,
    endTime: START + 2,
    model: 'gpt-5',
    model_group: 'gpt-5',
    custom_llm_provider: 'openai',
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    response_cost: 0.001,
    cache_hit: false,
    metadata: { user_api_key_user_id: 'alice@example.com', usage_object: usage },
    ...over,
  });
}

/** A generic mapping over a raw provider response body with its `usage` object (OpenAI or Anthropic shape). */
const bodyParser = new LineParser({
  format: 'generic',
  mappings: {
    generic: compileMapping(
      {
        requestId: 'id',
        startTime: 'created',
        model: 'model',
        usage: 'usage',
        webSearchQueries: 'web_search_calls',
        webSearchContext: 'search_context_size',
        fileSearchCalls: 'file_search_calls',
        codeInterpreterSessions: 'code_interpreter_sessions',
        mapsGroundingQueries: 'maps_grounding_queries',
      },
      's',
      true
    ),
  },
});
const autoParser = new LineParser({ format: 'auto', mappings: {} });

function record(parser: LineParser, line: string): UsageRecord {
  const out = parser.parse(line);
  if (isRejection(out)) throw new Error(`${out.reason}: ${out.message}`);
  return (out as ParsedLine).record;
}

const litellm = (over: Record<string, unknown>, usage: Record<string, unknown>) =>
  record(autoParser, litellmLine(over, usage));
const body = (b: Record<string, unknown>) => record(bodyParser, JSON.stringify({ id: 'r1', created: START, ...b }));

describe.each(BOOKS)('published rules, priced with %s', (_name, file) => {
  const pricer = new Pricer(loadPriceBookFile(file));
  const cost = (r: UsageRecord): bigint | undefined => pricer.price(r)?.costPusd;
  const price = (r: UsageRecord): Price | undefined => pricer.price(r);

  it('bills 5-minute and 1-hour cache writes at their own rates (LiteLLM usage with an Anthropic TTL split)', () => {
    const r = litellm(
      { model: 'claude-sonnet-4-5', custom_llm_provider: 'anthropic' },
      {
        prompt_tokens: 7100,
        completion_tokens: 500,
        prompt_tokens_details: {
          cached_tokens: 1000,
          cache_creation_tokens: 6000,
          cache_creation_token_details: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 4000 },
        },
      }
    );
    expect(r.tokens).toMatchObject({ inputUncached: 100, cacheRead: 1000, cacheWrite: 2000, cacheWrite1h: 4000 });
    // 100 x 3e6 + 1,000 x 0.3e6 + 2,000 x 3.75e6 + 4,000 x 6e6 + 500 x 15e6
    // = 300,000,000 + 300,000,000 + 7,500,000,000 + 24,000,000,000 + 7,500,000,000
    expect(cost(r)).toBe(39_600_000_000n);
  });

  it('bills every bucket at the long-context rates above 200K input tokens, cache included, and not at 200K', () => {
    const anthropic = (input: number) =>
      body({
        model: 'claude-sonnet-4-5-20250929',
        type: 'message',
        usage: {
          input_tokens: input,
          cache_read_input_tokens: 60_000,
          cache_creation_input_tokens: 10_000,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 10_000 },
          output_tokens: 1000,
        },
      });
    // 140,000 + 60,000 + 10,000 = 210,000 > 200,000: 140,000 x 6e6 + 60,000 x 0.6e6 + 10,000 x 12e6 + 1,000 x 22.5e6
    // = 840,000,000,000 + 36,000,000,000 + 120,000,000,000 + 22,500,000,000
    expect(cost(anthropic(140_000))).toBe(1_018_500_000_000n);
    // 130,000 + 60,000 + 10,000 = 200,000, not above: 130,000 x 3e6 + 60,000 x 0.3e6 + 10,000 x 6e6 + 1,000 x 15e6
    // = 390,000,000,000 + 18,000,000,000 + 60,000,000,000 + 15,000,000,000
    expect(cost(anthropic(130_000))).toBe(483_000_000_000n);
    // Gemini 2.5 Pro through LiteLLM: 250,000 prompt (50,000 cached) > 200,000:
    // 200,000 x 2.5e6 + 50,000 x 0.25e6 + 2,000 x 15e6 = 500,000,000,000 + 12,500,000,000 + 30,000,000,000
    const gemini = litellm(
      { model: 'gemini-2.5-pro', custom_llm_provider: 'gemini' },
      { prompt_tokens: 250_000, completion_tokens: 2000, prompt_tokens_details: { cached_tokens: 50_000 } }
    );
    expect(cost(gemini)).toBe(542_500_000_000n);
  });

  it('bills OpenAI flex and priority at their own rates, reasoning inside output at the output rate', () => {
    const usage = {
      prompt_tokens: 10_000,
      completion_tokens: 2000,
      prompt_tokens_details: { cached_tokens: 4000 },
      completion_tokens_details: { reasoning_tokens: 1500 },
    };
    const at = (over: Record<string, unknown>) => cost(litellm(over, usage));
    // standard: 6,000 x 1.25e6 + 4,000 x 0.125e6 + 2,000 x 10e6 = 7,500,000,000 + 500,000,000 + 20,000,000,000
    expect(at({})).toBe(28_000_000_000n);
    expect(at({ response: { model: 'gpt-5-2025-08-07', service_tier: 'default' } })).toBe(28_000_000_000n);
    // flex: 6,000 x 0.625e6 + 4,000 x 0.0625e6 + 2,000 x 5e6 = 3,750,000,000 + 250,000,000 + 10,000,000,000
    expect(at({ model_parameters: { service_tier: 'flex' } })).toBe(14_000_000_000n);
    // priority: 6,000 x 2.5e6 + 4,000 x 0.25e6 + 2,000 x 20e6 = 15,000,000,000 + 1,000,000,000 + 40,000,000,000
    expect(at({ response: { model: 'gpt-5-2025-08-07', service_tier: 'priority' } })).toBe(56_000_000_000n);
  });

  it("multiplies Anthropic's fast mode and US-only inference on top of the long-context rates", () => {
    const opus = (usage: Record<string, unknown>) => body({ model: 'claude-opus-4-6', type: 'message', usage });
    // standard: 1,000 x 5e6 + 1,000 x 25e6 = 30,000,000,000
    expect(cost(opus({ input_tokens: 1000, output_tokens: 1000 }))).toBe(30_000_000_000n);
    // fast: x 6 = 180,000,000,000 ($30 / $150 per MTok as published)
    expect(cost(opus({ input_tokens: 1000, output_tokens: 1000, speed: 'fast' }))).toBe(180_000_000_000n);
    // fast in the US: x 6 x 1.1 = 198,000,000,000
    expect(cost(opus({ input_tokens: 1000, output_tokens: 1000, speed: 'fast', inference_geo: 'us' }))).toBe(
      198_000_000_000n
    );
    // global inference has no multiplier
    expect(cost(opus({ input_tokens: 1000, output_tokens: 1000, inference_geo: 'global' }))).toBe(30_000_000_000n);
    // fast above 200K: (250,000 x 10e6 + 1,000 x 37.5e6) x 6 = 2,537,500,000,000 x 6 ($60 / $225 per MTok)
    expect(cost(opus({ input_tokens: 250_000, output_tokens: 1000, speed: 'fast' }))).toBe(15_225_000_000_000n);
  });

  it('bills reasoning tokens at the reasoning rate where the model has one', () => {
    const r = litellm(
      { model: 'gemini-2.5-flash-preview-04-17', custom_llm_provider: 'gemini' },
      { prompt_tokens: 1000, completion_tokens: 1000, completion_tokens_details: { reasoning_tokens: 800 } }
    );
    // 1,000 x 0.15e6 + 200 x 0.6e6 + 800 x 3.5e6 = 150,000,000 + 120,000,000 + 2,800,000,000
    expect(cost(r)).toBe(3_070_000_000n);
  });

  it('bills audio input and output tokens at the audio rates', () => {
    const r = litellm(
      { model: 'gpt-4o-audio-preview' },
      {
        prompt_tokens: 1000,
        completion_tokens: 500,
        prompt_tokens_details: { audio_tokens: 600, cached_tokens: 0 },
        completion_tokens_details: { audio_tokens: 400 },
      }
    );
    // 400 x 2.5e6 + 600 x 40e6 + 100 x 10e6 + 400 x 80e6 = 1,000,000,000 + 24,000,000,000 + 1,000,000,000 + 32,000,000,000
    expect(cost(r)).toBe(58_000_000_000n);
  });

  it('bills image and video input at the input rate when the model has no own rate, audio at its own', () => {
    const r = litellm(
      { model: 'gemini-2.0-flash', custom_llm_provider: 'gemini' },
      {
        prompt_tokens: 3000,
        completion_tokens: 100,
        prompt_tokens_details: { image_tokens: 1000, video_tokens: 1000, audio_tokens: 500 },
      }
    );
    expect(r.tokens).toMatchObject({ inputUncached: 3000, inputAudio: 500, inputImage: 1000, inputVideo: 1000 });
    // 500 x 0.1e6 + 1,000 x 0.1e6 + 1,000 x 0.1e6 + 500 x 0.7e6 + 100 x 0.4e6
    // = 50,000,000 + 100,000,000 + 100,000,000 + 350,000,000 + 40,000,000
    expect(cost(r)).toBe(640_000_000n);
  });

  it('adds web search per query (Anthropic server_tool_use), by search context size (OpenAI), its own fee', () => {
    const search = price(
      body({
        model: 'claude-sonnet-4-5',
        type: 'message',
        usage: { input_tokens: 1000, output_tokens: 100, server_tool_use: { web_search_requests: 3 } },
      })
    )!;
    // tokens: 1,000 x 3e6 + 100 x 15e6 = 4,500,000,000; fee: 3 x $10 / 1,000 = $0.03 = 30,000,000,000
    expect(search).toMatchObject({ feePusd: 30_000_000_000n, costPusd: 34_500_000_000n });
    const byContext = (size: string | undefined) =>
      price(
        body({
          model: 'gpt-4o',
          usage: { prompt_tokens: 100, completion_tokens: 0 },
          web_search_calls: 2,
          search_context_size: size,
        })
      )!.feePusd;
    expect(byContext('low')).toBe(60_000_000_000n); // 2 x $0.03
    expect(byContext('high')).toBe(100_000_000_000n); // 2 x $0.05
    expect(byContext(undefined)).toBe(70_000_000_000n); // OpenAI's default context size is medium: 2 x $0.035
  });

  it('adds file search per 1,000 calls and code interpreter per session', () => {
    const p = price(
      body({
        model: 'gpt-5',
        usage: { prompt_tokens: 0, completion_tokens: 1 },
        file_search_calls: 3,
        code_interpreter_sessions: 2,
      })
    )!;
    // 3 x $2.50 / 1,000 + 2 x $0.03 = $0.0075 + $0.06; tokens 1 x 10e6
    expect(p).toMatchObject({ feePusd: 67_500_000_000n, costPusd: 67_510_000_000n });
  });

  it('drops the gateway cost of a LiteLLM cache hit to zero and keeps what LiteLLM reported', () => {
    const r = litellm({ cache_hit: true, response_cost: 0.0116 }, { prompt_tokens: 1000, completion_tokens: 1000 });
    expect(r).toMatchObject({ gatewayCacheHit: true, reportedCostPusd: 11_600_000_000n });
    expect(price(r)).toEqual({ costPusd: 0n, feePusd: 0n, chargePusd: 0n, pricedModel: 'gpt-5' });
  });

  it('reads cached prompt tokens from a Kong 3.11 line without a custom mapping', () => {
    // Kong AI Gateway file-log, ai.proxy.usage (Kong/kong: kong/llm/plugin/observability.lua); prompt_tokens
    // includes the cached ones, as OpenAI reports them.
    const r = record(
      autoParser,
      JSON.stringify({
        request: { id: 'kong-1' },
        started_at: START * 1000,
        latencies: { request: 900 },
        response: { status: 200 },
        ai: {
          proxy: {
            usage: {
              prompt_tokens: 1_500_000,
              completion_tokens: 1000,
              total_tokens: 1_501_000,
              prompt_tokens_details: { cached_tokens: 1_000_000 },
              cost: 3.76,
            },
            meta: { provider_name: 'openai', request_model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06' },
          },
        },
      })
    );
    expect(r).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      modelRequested: 'gpt-4o',
      reportedCostPusd: 3_760_000_000_000n,
    });
    // 500,000 x 2.5e6 + 1,000,000 x 1.25e6 + 1,000 x 10e6 = 1,250,000,000,000 + 1,250,000,000,000 + 10,000,000,000
    expect(cost(r)).toBe(2_510_000_000_000n);
  });

  it('bills the served model, a base model, and provider-prefixed names with "/"', () => {
    const tokens = { prompt_tokens: 1000, completion_tokens: 1000 };
    // LiteLLM: the response's model over the deployment name; gpt-4o: 1,000 x 2.5e6 + 1,000 x 10e6
    expect(cost(litellm({ model: 'team-a-deployment', response: { model: 'gpt-4o-2024-08-06' } }, tokens))).toBe(
      12_500_000_000n
    );
    // LiteLLM model_info.base_model (logged as model_map_information.model_map_key) over the alias: gpt-5 prices
    expect(
      cost(litellm({ model: 'azure/my-gpt5-deployment', model_map_information: { model_map_key: 'gpt-5' } }, tokens))
    ).toBe(11_250_000_000n);
    // Bedrock foundation-model ARN: 1,000 x 3e6 + 1,000 x 15e6
    const arn = 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0';
    expect(cost(litellm({ model: arn, custom_llm_provider: 'bedrock' }, tokens))).toBe(18_000_000_000n);
    // Together and Fireworks names under their LiteLLM provider: 2,000 x 0.88e6 and 2,000 x 0.9e6
    expect(
      cost(litellm({ model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', custom_llm_provider: 'together_ai' }, tokens))
    ).toBe(1_760_000_000n);
    expect(
      cost(
        litellm(
          { model: 'accounts/fireworks/models/llama-v3p1-70b-instruct', custom_llm_provider: 'fireworks_ai' },
          tokens
        )
      )
    ).toBe(1_800_000_000n);
  });

  it('leaves a success that reported no usage unpriced, never priced at zero', () => {
    const r = litellm({}, { prompt_tokens: 0, completion_tokens: 0 });
    expect(r.usageReported).toBe(false);
    expect(price(r)).toBeUndefined();
  });
});

describe('our YAML book only', () => {
  const pricer = new Pricer(loadPriceBookFile(YAML_BOOK));
  it('bills a deployment alias and an application inference profile ARN by the alias map', () => {
    const tokens = { prompt_tokens: 1000, completion_tokens: 1000 };
    // chat-prod -> gpt-5: 1,000 x 1.25e6 + 1,000 x 10e6
    expect(pricer.price(litellm({ model: 'chat-prod' }, tokens))?.costPusd).toBe(11_250_000_000n);
    const profile = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
    // -> claude-sonnet-4-5: 1,000 x 3e6 + 1,000 x 15e6
    expect(pricer.price(litellm({ model: profile, custom_llm_provider: 'bedrock' }, tokens))?.costPusd).toBe(
      18_000_000_000n
    );
  });

  it('bills Gemini grounding once per grounded prompt, however many queries it ran', () => {
    const p = pricer.price(
      body({
        model: 'gemini-2.5-pro',
        usage: { prompt_tokens: 0, completion_tokens: 1 },
        web_search_calls: 5,
        maps_grounding_queries: 2,
      })
    )!;
    // $35 / 1,000 + $25 / 1,000 = $0.06
    expect(p.feePusd).toBe(60_000_000_000n);
  });
});
