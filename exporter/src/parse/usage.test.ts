import { isRejection, NO_TOKENS } from '../types';
import { FieldError } from './fieldError';
import { LineParser } from './lineParser';
import { compileMapping } from './presets';
import { readUsageObject, toBuckets } from './usage';

const buckets = (u: unknown) => toBuckets(readUsageObject(u, 'usage')!.tokens, 'usage');

describe('usage objects to disjoint buckets', () => {
  it('OpenAI chat: cached and reasoning tokens are inside the totals', () => {
    expect(
      buckets({
        prompt_tokens: 2048,
        completion_tokens: 900,
        prompt_tokens_details: { cached_tokens: 1536 },
        completion_tokens_details: { reasoning_tokens: 640 },
      })
    ).toEqual({ ...NO_TOKENS, inputUncached: 512, cacheRead: 1536, cacheWrite: 0, output: 900, reasoning: 640 });
  });

  it('Anthropic: input_tokens excludes cache reads and writes', () => {
    expect(
      buckets({ input_tokens: 48, output_tokens: 312, cache_creation_input_tokens: 2100, cache_read_input_tokens: 500 })
    ).toEqual({ ...NO_TOKENS, inputUncached: 48, cacheRead: 500, cacheWrite: 2100, output: 312, reasoning: 0 });
  });

  it('OpenAI Responses: input_tokens includes input_tokens_details.cached_tokens', () => {
    expect(
      buckets({
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 60 },
        output_tokens: 10,
        output_tokens_details: { reasoning_tokens: 4 },
      })
    ).toEqual({ ...NO_TOKENS, inputUncached: 40, cacheRead: 60, cacheWrite: 0, output: 10, reasoning: 4 });
  });

  it('LiteLLM (current): cache writes are in prompt_tokens_details and counted in prompt_tokens', () => {
    expect(
      buckets({
        prompt_tokens: 2648,
        completion_tokens: 10,
        cache_creation_input_tokens: 2100,
        cache_read_input_tokens: 500,
        prompt_tokens_details: { cached_tokens: 500, cache_creation_tokens: 2100 },
      })
    ).toEqual({ ...NO_TOKENS, inputUncached: 48, cacheRead: 500, cacheWrite: 2100, output: 10, reasoning: 0 });
  });

  it('LiteLLM (older): top-level cache_creation_input_tokens was not in prompt_tokens', () => {
    expect(
      buckets({
        prompt_tokens: 548,
        completion_tokens: 10,
        cache_creation_input_tokens: 2100,
        prompt_tokens_details: { cached_tokens: 500 },
      })
    ).toEqual({ ...NO_TOKENS, inputUncached: 48, cacheRead: 500, cacheWrite: 2100, output: 10, reasoning: 0 });
  });

  it('numbers written as strings are accepted', () => {
    expect(buckets({ prompt_tokens: '21', completion_tokens: '17' })).toMatchObject({ inputUncached: 21, output: 17 });
  });

  it('rejects cached tokens larger than the input that includes them, naming the field', () => {
    expect(() =>
      buckets({ prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 20 } })
    ).toThrow(FieldError);
    expect(() => buckets({ prompt_tokens: -1, completion_tokens: 1 })).toThrow(
      /usage.prompt_tokens: expected a non-negative integer/
    );
  });

  it('an object without token fields is not a usage object', () => {
    expect(readUsageObject({ foo: 1 }, 'usage')).toBeUndefined();
    expect(readUsageObject('x', 'usage')).toBeUndefined();
  });
});

describe('usage objects: the choices that are easy to get wrong', () => {
  const reported = (u: unknown) => readUsageObject(u, 'usage')?.tokens;

  it('OpenAI-style: a top-level cache_read_input_tokens is the cache read when the details give none', () => {
    expect(buckets({ prompt_tokens: 100, completion_tokens: 5, cache_read_input_tokens: 40 })).toEqual({
      ...NO_TOKENS,
      inputUncached: 60,
      cacheRead: 40,
      cacheWrite: 0,
      output: 5,
      reasoning: 0,
    });
    expect(
      buckets({
        prompt_tokens: 100,
        completion_tokens: 5,
        cache_read_input_tokens: 40,
        prompt_tokens_details: { cached_tokens: null },
      })
    ).toMatchObject({ inputUncached: 60, cacheRead: 40 });
  });

  it('OpenAI-style: prompt_tokens_details.cached_tokens wins over a top-level cache_read_input_tokens', () => {
    expect(
      buckets({
        prompt_tokens: 100,
        completion_tokens: 5,
        cache_read_input_tokens: 40,
        prompt_tokens_details: { cached_tokens: 30 },
      })
    ).toMatchObject({ inputUncached: 70, cacheRead: 30 });
  });

  it('OpenRouter: prompt_tokens_details.cache_write_tokens is a cache write counted inside prompt_tokens', () => {
    expect(
      buckets({
        prompt_tokens: 1000,
        completion_tokens: 10,
        prompt_tokens_details: { cached_tokens: 200, cache_write_tokens: 300 },
      })
    ).toEqual({
      ...NO_TOKENS,
      inputUncached: 500,
      cacheRead: 200,
      cacheWrite: 300,
      output: 10,
      reasoning: 0,
    });
    expect(reported({ prompt_tokens: 1000, prompt_tokens_details: { cache_write_tokens: 300 } })).toMatchObject({
      cacheWrite: 300,
      inputIncludesCacheWrite: true,
    });
  });

  it('LiteLLM: cache_creation_tokens in the details wins over cache_write_tokens and over the top-level count', () => {
    expect(
      buckets({
        prompt_tokens: 1000,
        completion_tokens: 1,
        cache_creation_input_tokens: 900,
        prompt_tokens_details: { cache_creation_tokens: 300, cache_write_tokens: 100 },
      })
    ).toMatchObject({ inputUncached: 700, cacheWrite: 300 });
  });

  it('a null cache write in the details falls back to the top-level count, which is not inside prompt_tokens', () => {
    expect(
      buckets({
        prompt_tokens: 548,
        completion_tokens: 10,
        cache_creation_input_tokens: 2100,
        prompt_tokens_details: { cached_tokens: 500, cache_creation_tokens: null },
      })
    ).toEqual({
      ...NO_TOKENS,
      inputUncached: 48,
      cacheRead: 500,
      cacheWrite: 2100,
      output: 10,
      reasoning: 0,
    });
    expect(reported({ prompt_tokens: 548, cache_creation_input_tokens: 2100 })).toMatchObject({
      inputIncludesCacheWrite: false,
    });
  });

  it('one-sided usage: only input or only output is reported, the other side is zero', () => {
    const zero = { ...NO_TOKENS, inputUncached: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 };
    expect(buckets({ prompt_tokens: 12 })).toEqual({ ...zero, inputUncached: 12 });
    expect(buckets({ completion_tokens: 7 })).toEqual({ ...zero, output: 7 });
    expect(buckets({ completion_tokens: 7, completion_tokens_details: { reasoning_tokens: 3 } })).toEqual({
      ...zero,
      output: 7,
      reasoning: 3,
    });
    expect(buckets({ input_tokens: 12 })).toEqual({ ...zero, inputUncached: 12 });
    expect(buckets({ output_tokens: 9 })).toEqual({ ...zero, output: 9 });
    expect(buckets({ output_tokens: 9, cache_read_input_tokens: 4 })).toEqual({ ...zero, cacheRead: 4, output: 9 });
    expect(buckets({ output_tokens: 9, input_tokens_details: { cached_tokens: 0 } })).toEqual({ ...zero, output: 9 });
  });

  it('a null side is absent, not a new kind of object', () => {
    expect(buckets({ prompt_tokens: null, completion_tokens: 3 })).toMatchObject({ inputUncached: 0, output: 3 });
    expect(reported({ prompt_tokens: undefined, input_tokens: 5 })).toMatchObject({
      inputTotal: 5,
      inputIncludesCacheWrite: true,
    });
  });

  it('Anthropic: reasoning comes from output_tokens_details and may not exceed the output', () => {
    expect(
      buckets({ input_tokens: 1, output_tokens: 10, output_tokens_details: { reasoning_tokens: 4 } })
    ).toMatchObject({ output: 10, reasoning: 4 });
    expect(() =>
      buckets({ input_tokens: 1, output_tokens: 3, output_tokens_details: { reasoning_tokens: 4 } })
    ).toThrow('usage: reasoning tokens (4) exceed output tokens (3)');
    expect(() =>
      buckets({ prompt_tokens: 1, completion_tokens: 3, completion_tokens_details: { reasoning_tokens: 4 } })
    ).toThrow(FieldError);
  });

  it('OpenAI Responses: cache writes are zero and never included', () => {
    expect(
      reported({ input_tokens: 100, input_tokens_details: { cached_tokens: 60 }, cache_creation_input_tokens: 50 })
    ).toMatchObject({
      inputTotal: 100,
      cacheRead: 60,
      cacheWrite: 0,
      inputIncludesCacheWrite: false,
      output: 0,
      reasoning: 0,
    });
  });

  it('names the field at fault by its path under the usage object', () => {
    const field = (u: unknown) => {
      try {
        buckets(u);
      } catch (e) {
        if (e instanceof FieldError) return [e.field, e.message];
        throw e;
      }
      throw new Error('expected a FieldError');
    };
    expect(field({ prompt_tokens: 1, prompt_tokens_details: { cached_tokens: 'x' } })).toEqual([
      'usage.prompt_tokens_details.cached_tokens',
      'usage.prompt_tokens_details.cached_tokens: expected a non-negative integer, got "x"',
    ]);
    // Each count is named where it was read: a top-level cache count, a cache write in the details.
    expect(field({ prompt_tokens: 1, cache_read_input_tokens: 'x' })[0]).toBe('usage.cache_read_input_tokens');
    expect(field({ prompt_tokens: 1, prompt_tokens_details: { cache_write_tokens: -1 } })[0]).toBe(
      'usage.prompt_tokens_details.cache_write_tokens'
    );
    expect(field({ prompt_tokens: 1, prompt_tokens_details: { cache_creation_tokens: -1 } })[0]).toBe(
      'usage.prompt_tokens_details.cache_creation_tokens'
    );
    expect(field({ completion_tokens: -1 })[0]).toBe('usage.completion_tokens');
    expect(field({ prompt_tokens: 1, completion_tokens_details: { reasoning_tokens: -1 } })[0]).toBe(
      'usage.completion_tokens_details.reasoning_tokens'
    );
    expect(field({ prompt_tokens: 1, cache_creation_input_tokens: -1 })[0]).toBe('usage.cache_creation_input_tokens');
    expect(field({ input_tokens: -1 })[0]).toBe('usage.input_tokens');
    expect(field({ output_tokens: -1 })[0]).toBe('usage.output_tokens');
    expect(field({ input_tokens: 1, cache_read_input_tokens: -1 })[0]).toBe('usage.cache_read_input_tokens');
    expect(field({ input_tokens: 1, cache_creation_input_tokens: -1 })[0]).toBe('usage.cache_creation_input_tokens');
    expect(field({ input_tokens: 1, input_tokens_details: { cached_tokens: -1 } })[0]).toBe(
      'usage.input_tokens_details.cached_tokens'
    );
    expect(field({ output_tokens: 1, output_tokens_details: { reasoning_tokens: -1 } })[0]).toBe(
      'usage.output_tokens_details.reasoning_tokens'
    );
    expect(field({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 20 } })).toEqual([
      'usage',
      'usage: input tokens (10) are fewer than the cached tokens they include (20)',
    ]);
  });

  it('an array is not a usage object, nor are its details', () => {
    expect(readUsageObject([{ prompt_tokens: 1 }], 'usage')).toBeUndefined();
    expect(readUsageObject(null, 'usage')).toBeUndefined();
    expect(buckets({ prompt_tokens: 10, prompt_tokens_details: [5] })).toMatchObject({
      inputUncached: 10,
      cacheRead: 0,
    });
  });
});

describe('usage objects: limits', () => {
  it('allows all of the input to be cached and all of the output to be reasoning', () => {
    expect(
      buckets({
        prompt_tokens: 10,
        completion_tokens: 4,
        prompt_tokens_details: { cached_tokens: 10 },
        completion_tokens_details: { reasoning_tokens: 4 },
      })
    ).toEqual({
      ...NO_TOKENS,
      inputUncached: 0,
      cacheRead: 10,
      cacheWrite: 0,
      output: 4,
      reasoning: 4,
    });
  });

  it('refuses one token more of either as invalid_field on the usage object', () => {
    const refusal = (u: unknown) => {
      try {
        buckets(u);
      } catch (e) {
        if (e instanceof FieldError) return { reason: e.reason, field: e.field, message: e.message };
        throw e;
      }
      throw new Error('expected a FieldError');
    };
    expect(refusal({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 11 } })).toEqual({
      reason: 'invalid_field',
      field: 'usage',
      message: 'usage: input tokens (10) are fewer than the cached tokens they include (11)',
    });
    expect(refusal({ completion_tokens: 4, completion_tokens_details: { reasoning_tokens: 5 } })).toEqual({
      reason: 'invalid_field',
      field: 'usage',
      message: 'usage: reasoning tokens (5) exceed output tokens (4)',
    });
  });
});

describe('flat token fields of a mapping (no usage object)', () => {
  const fields = {
    startTime: 'ts',
    model: 'model',
    usage: 'usage',
    inputTokens: 'in',
    outputTokens: 'out',
    cacheReadTokens: 'cr',
    cacheWriteTokens: 'cw',
    reasoningTokens: 'rs',
  } as const;
  const tokens = (inputTokensIncludeCache: boolean, line: Record<string, unknown>) => {
    const parsed = new LineParser({
      format: 'generic',
      mappings: { generic: compileMapping(fields, 'auto', inputTokensIncludeCache) },
    }).parse(JSON.stringify({ ts: 1735725600, model: 'm', ...line }));
    if (isRejection(parsed)) return parsed;
    return parsed.record.tokens;
  };

  it('input that includes the cache (OpenAI semantics): uncached = input - read - write', () => {
    expect(tokens(true, { in: 100, cr: 30, cw: 20, out: 9, rs: 2 })).toEqual({
      ...NO_TOKENS,
      inputUncached: 50,
      cacheRead: 30,
      cacheWrite: 20,
      output: 9,
      reasoning: 2,
    });
  });

  it('input that excludes the cache (Anthropic semantics): uncached = input', () => {
    expect(tokens(false, { in: 100, cr: 30, cw: 20, out: 9 })).toEqual({
      ...NO_TOKENS,
      inputUncached: 100,
      cacheRead: 30,
      cacheWrite: 20,
      output: 9,
      reasoning: 0,
    });
  });

  it('one-sided flat fields', () => {
    expect(tokens(true, { out: 9 })).toEqual({
      ...NO_TOKENS,
      inputUncached: 0,
      cacheRead: 0,
      cacheWrite: 0,
      output: 9,
      reasoning: 0,
    });
    expect(tokens(false, { in: 4 })).toEqual({
      ...NO_TOKENS,
      inputUncached: 4,
      cacheRead: 0,
      cacheWrite: 0,
      output: 0,
      reasoning: 0,
    });
  });

  it('a usage object without token fields leaves the flat fields in charge', () => {
    expect(tokens(true, { usage: { note: 'none' }, in: 7, out: 1 })).toMatchObject({ inputUncached: 7, output: 1 });
    expect(tokens(true, { usage: { prompt_tokens: 3 }, in: 7, out: 1 })).toMatchObject({ inputUncached: 3, output: 0 });
  });

  it('an inconsistent flat line is refused naming the input field', () => {
    expect(tokens(true, { in: 10, cr: 20 })).toMatchObject({
      reason: 'invalid_field',
      field: 'in',
      message: 'in: input tokens (10) are fewer than the cached tokens they include (20)',
    });
  });
});

describe('usage objects: every pricing part, its bounds and the field each refusal names', () => {
  const tokens = (overrides: Partial<Parameters<typeof toBuckets>[0]> = {}) => ({
    inputTotal: 10,
    cacheRead: 0,
    cacheWrite: 0,
    cacheWrite1h: 0,
    inputIncludesCacheWrite: true,
    output: 10,
    reasoning: 0,
    inputAudio: 0,
    inputImage: 0,
    inputVideo: 0,
    outputAudio: 0,
    outputImage: 0,
    ...overrides,
  });
  const refusal = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(FieldError);
      expect((e as FieldError).reason).toBe('invalid_field');
      return (e as Error).message;
    }
    throw new Error('taken');
  };

  it('splits the uncached input among audio, image and video in that order, and the 1-hour writes off the writes', () => {
    expect(
      toBuckets(
        tokens({
          inputAudio: 4,
          inputImage: 4,
          inputVideo: 4,
          cacheWrite: 6,
          cacheWrite1h: 2,
          inputIncludesCacheWrite: false,
        }),
        'u'
      )
    ).toEqual({
      ...NO_TOKENS,
      inputUncached: 10,
      cacheWrite: 4,
      cacheWrite1h: 2,
      output: 10,
      inputAudio: 4,
      inputImage: 4,
      inputVideo: 2,
    });
    expect(toBuckets(tokens({ inputImage: 7, inputVideo: 7 }), 'u')).toMatchObject({ inputImage: 7, inputVideo: 3 });
    expect(toBuckets(tokens({ inputAudio: 6, inputImage: 6 }), 'u')).toMatchObject({
      inputAudio: 6,
      inputImage: 4,
      inputVideo: 0,
    });
    expect(toBuckets(tokens({ cacheWrite: 3, cacheWrite1h: 3, inputTotal: 13 }), 'u')).toMatchObject({
      cacheWrite: 0,
      cacheWrite1h: 3,
    });
  });

  it('refuses 1-hour writes over all writes, and reasoning, audio and image output over the output', () => {
    expect(refusal(() => toBuckets(tokens({ cacheWrite: 2, cacheWrite1h: 3, inputTotal: 12 }), 'usage'))).toBe(
      'usage: 1-hour cache writes (3) exceed all cache writes (2)'
    );
    expect(refusal(() => toBuckets(tokens({ reasoning: 4, outputAudio: 4, outputImage: 3 }), 'usage'))).toBe(
      'usage: reasoning, audio and image output tokens (11) exceed output tokens (10)'
    );
    expect(toBuckets(tokens({ reasoning: 4, outputAudio: 3, outputImage: 3 }), 'u')).toMatchObject({
      reasoning: 4,
      outputAudio: 3,
      outputImage: 3,
    });
    expect(refusal(() => toBuckets(tokens({ outputAudio: 6, outputImage: 5 }), 'usage'))).toContain('(11) exceed');
  });

  it('reads every OpenAI-style part, the TTL split of the writes and the extras, lower-cased', () => {
    const read = readUsageObject(
      {
        prompt_tokens: 100,
        completion_tokens: 50,
        prompt_tokens_details: {
          cached_tokens: 10,
          audio_tokens: 5,
          image_tokens: 6,
          video_tokens: 7,
          cache_creation_token_details: { ephemeral_5m_input_tokens: 8, ephemeral_1h_input_tokens: 9 },
        },
        completion_tokens_details: { reasoning_tokens: 11, audio_tokens: 12, image_tokens: 13 },
        service_tier: 'Priority',
        inference_geo: 'US',
        speed: 'Fast',
        server_tool_use: { web_search_requests: 2 },
      },
      'usage'
    );
    expect(read).toStrictEqual({
      tokens: {
        inputTotal: 100,
        cacheRead: 10,
        cacheWrite: 17, // no total of the writes: the TTL split is it
        cacheWrite1h: 9,
        inputIncludesCacheWrite: true,
        output: 50,
        reasoning: 11,
        inputAudio: 5,
        inputImage: 6,
        inputVideo: 7,
        outputAudio: 12,
        outputImage: 13,
      },
      extras: { webSearchQueries: 2, serviceTier: 'priority', inferenceGeo: 'us', speed: 'fast' },
    });
  });

  it('takes each extra alone, and web searches counted in prompt_tokens_details', () => {
    const extras = (u: Record<string, unknown>) =>
      readUsageObject({ prompt_tokens: 1, completion_tokens: 1, ...u }, 'usage')!.extras;
    const none = { webSearchQueries: undefined, serviceTier: undefined, inferenceGeo: undefined, speed: undefined };
    expect(extras({})).toStrictEqual(none);
    expect(extras({ service_tier: 'flex' })).toStrictEqual({ ...none, serviceTier: 'flex' });
    expect(extras({ inference_geo: 'EU' })).toStrictEqual({ ...none, inferenceGeo: 'eu' });
    expect(extras({ speed: 'fast' })).toStrictEqual({ ...none, speed: 'fast' });
    expect(extras({ server_tool_use: {} })).toStrictEqual(none);
    expect(extras({ prompt_tokens_details: { web_search_requests: 3 } })).toStrictEqual({
      ...none,
      webSearchQueries: 3,
    });
    expect(
      extras({ server_tool_use: { web_search_requests: 1 }, prompt_tokens_details: { web_search_requests: 3 } })
        .webSearchQueries
    ).toBe(1);
    expect(
      extras({ server_tool_use: { web_search_requests: 0 }, prompt_tokens_details: { web_search_requests: 3 } })
        .webSearchQueries
    ).toBe(0);
    expect(
      readUsageObject({ input_tokens: 1, output_tokens: 1, service_tier: 'Batch' }, 'usage')!.extras
    ).toStrictEqual({ ...none, serviceTier: 'batch' });
  });

  it('names the field of a bad value wherever it is', () => {
    const chat = (u: Record<string, unknown>) => () =>
      readUsageObject({ prompt_tokens: 1, completion_tokens: 1, ...u }, 'usage');
    const details = (k: string) => chat({ prompt_tokens_details: { [k]: -1 } });
    for (const k of ['audio_tokens', 'image_tokens', 'video_tokens', 'web_search_requests'])
      expect(refusal(details(k))).toBe(`usage.prompt_tokens_details.${k}: expected a non-negative integer, got -1`);
    for (const k of ['reasoning_tokens', 'audio_tokens', 'image_tokens'])
      expect(refusal(chat({ completion_tokens_details: { [k]: 'x' } }))).toMatch(
        `usage.completion_tokens_details.${k}: `
      );
    for (const k of ['ephemeral_5m_input_tokens', 'ephemeral_1h_input_tokens'])
      expect(refusal(chat({ prompt_tokens_details: { cache_creation_token_details: { [k]: -2 } } }))).toMatch(
        `usage.prompt_tokens_details.cache_creation_token_details.${k}: `
      );
    expect(refusal(chat({ server_tool_use: { web_search_requests: -1 } }))).toMatch(
      'usage.server_tool_use.web_search_requests: '
    );
    for (const k of ['service_tier', 'inference_geo', 'speed'])
      expect(refusal(chat({ [k]: { a: 1 } }))).toMatch(`usage.${k}: expected a string`);
    const anthropic = (u: Record<string, unknown>) => () =>
      readUsageObject({ input_tokens: 1, output_tokens: 1, ...u }, 'usage');
    for (const k of ['ephemeral_5m_input_tokens', 'ephemeral_1h_input_tokens'])
      expect(refusal(anthropic({ cache_creation: { [k]: -3 } }))).toMatch(`usage.cache_creation.${k}: `);
  });

  it("reads Anthropic's cache writes split by TTL when there is no total", () => {
    const read = readUsageObject(
      {
        input_tokens: 5,
        output_tokens: 1,
        cache_creation: { ephemeral_5m_input_tokens: 7, ephemeral_1h_input_tokens: 3 },
      },
      'usage'
    )!;
    expect(read.tokens).toMatchObject({ inputTotal: 15, cacheWrite: 10, cacheWrite1h: 3 });
  });

  it('takes no object but an object: not null, an array or a text', () => {
    for (const v of [null, [1], 'usage', 12]) expect(readUsageObject(v, 'usage')).toBeUndefined();
    expect(
      readUsageObject({ prompt_tokens: 1, completion_tokens: 1, prompt_tokens_details: [5] }, 'usage')!.tokens.cacheRead
    ).toBe(0);
  });
});
