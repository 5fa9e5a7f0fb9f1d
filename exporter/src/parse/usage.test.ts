import { FieldError } from './fieldError';
import { readUsageObject, toBuckets } from './usage';

const buckets = (u: unknown) => toBuckets(readUsageObject(u, 'usage')!, 'usage');

describe('usage objects to disjoint buckets', () => {
  it('OpenAI chat: cached and reasoning tokens are inside the totals', () => {
    expect(
      buckets({
        prompt_tokens: 2048,
        completion_tokens: 900,
        prompt_tokens_details: { cached_tokens: 1536 },
        completion_tokens_details: { reasoning_tokens: 640 },
      }),
    ).toEqual({ inputUncached: 512, cacheRead: 1536, cacheWrite: 0, output: 900, reasoning: 640 });
  });

  it('Anthropic: input_tokens excludes cache reads and writes', () => {
    expect(
      buckets({ input_tokens: 48, output_tokens: 312, cache_creation_input_tokens: 2100, cache_read_input_tokens: 500 }),
    ).toEqual({ inputUncached: 48, cacheRead: 500, cacheWrite: 2100, output: 312, reasoning: 0 });
  });

  it('OpenAI Responses: input_tokens includes input_tokens_details.cached_tokens', () => {
    expect(
      buckets({ input_tokens: 100, input_tokens_details: { cached_tokens: 60 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 4 } }),
    ).toEqual({ inputUncached: 40, cacheRead: 60, cacheWrite: 0, output: 10, reasoning: 4 });
  });

  it('LiteLLM (current): cache writes are in prompt_tokens_details and counted in prompt_tokens', () => {
    expect(
      buckets({ prompt_tokens: 2648, completion_tokens: 10, cache_creation_input_tokens: 2100, cache_read_input_tokens: 500, prompt_tokens_details: { cached_tokens: 500, cache_creation_tokens: 2100 } }),
    ).toEqual({ inputUncached: 48, cacheRead: 500, cacheWrite: 2100, output: 10, reasoning: 0 });
  });

  it('LiteLLM (older): top-level cache_creation_input_tokens was not in prompt_tokens', () => {
    expect(
      buckets({ prompt_tokens: 548, completion_tokens: 10, cache_creation_input_tokens: 2100, prompt_tokens_details: { cached_tokens: 500 } }),
    ).toEqual({ inputUncached: 48, cacheRead: 500, cacheWrite: 2100, output: 10, reasoning: 0 });
  });

  it('numbers written as strings are accepted', () => {
    expect(buckets({ prompt_tokens: '21', completion_tokens: '17' })).toMatchObject({ inputUncached: 21, output: 17 });
  });

  it('rejects cached tokens larger than the input that includes them, naming the field', () => {
    expect(() => buckets({ prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 20 } })).toThrow(FieldError);
    expect(() => buckets({ prompt_tokens: -1, completion_tokens: 1 })).toThrow(/usage.prompt_tokens: expected a non-negative integer/);
  });

  it('an object without token fields is not a usage object', () => {
    expect(readUsageObject({ foo: 1 }, 'usage')).toBeUndefined();
    expect(readUsageObject('x', 'usage')).toBeUndefined();
  });
});
