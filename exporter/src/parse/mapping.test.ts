import { isRejection, NO_TOOL_CALLS, ParseRejection, UsageRecord } from '../types';
import { LineParser } from './lineParser';
import { compileMapping } from './presets';

/** The decisions of applyMapping, through a generic mapping: statuses, tags, durations, token field names. */
const genericMapping = () =>
  compileMapping(
    {
      startTime: 'ts',
      endTime: 'end',
      durationMs: 'took',
      model: 'model',
      status: 'status',
      httpStatus: 'code',
      tier: [{ path: 'tags', tag_prefix: 'tier:' }, 'plan'],
      outputTokens: 'out',
      cacheReadTokens: 'cached',
      gatewayCacheHit: 'hit',
      webSearchQueries: 'searches',
      webSearchContext: 'context',
      reportedCost: 'cost',
    },
    'auto',
    true
  );
// Compiled in each test, not while this file loads, so that each test is credited with the mapping code it runs.
let parser: LineParser;
beforeEach(() => {
  parser = new LineParser({ format: 'generic', mappings: { generic: genericMapping() } });
});
const read = (extra: Record<string, unknown>): UsageRecord | ParseRejection => {
  const r = parser.parse(JSON.stringify({ ts: 1735725600, model: 'm', ...extra }));
  return isRejection(r) ? r : r.record;
};

describe('status', () => {
  it.each([
    [true, 'success', undefined],
    [false, 'failure', undefined],
    ['SUCCESS', 'success', undefined],
    ['ok', 'success', undefined],
    ['Error', 'failure', undefined],
    ['429', 'failure', 429],
    [200, 'success', 200],
    [100, 'success', 100],
    [399, 'success', 399],
    [400, 'failure', 400],
  ])('%j is %s', (status, expected, http) => {
    expect(read({ status })).toMatchObject({ status: expected, httpStatus: http });
  });

  it.each([['4290'], ['42'], ['maybe'], [99], [600], [400.5]])('%j is refused naming the field', (status) => {
    expect(read({ status })).toMatchObject({
      reason: 'invalid_field',
      field: 'status',
      message: expect.stringMatching(/^status: expected success\/failure or an HTTP status, got /),
    });
  });

  it('without a status field, an HTTP code from the error details decides, leniently', () => {
    expect(read({ code: 503 })).toMatchObject({ status: 'failure', httpStatus: 503 });
    expect(read({ code: '400' })).toMatchObject({ status: 'failure', httpStatus: 400 });
    expect(read({ code: 399 })).toMatchObject({ status: 'success', httpStatus: 399 });
    expect(read({ code: 'rate_limit' })).toMatchObject({ status: 'success', httpStatus: undefined });
    expect(read({ code: 700 })).toMatchObject({ status: 'success', httpStatus: undefined });
    // A word status wins; the detail code is kept.
    expect(read({ status: 'success', code: 503 })).toMatchObject({ status: 'success', httpStatus: 503 });
  });
});

describe('tags', () => {
  it('takes the first tag with the prefix, without the prefix, among other entries', () => {
    expect(read({ tags: [3, 'team:eng', 'tier:gold', 'tier:silver'] })).toMatchObject({ tier: 'gold' });
  });

  it('falls back to the next path when no tag has the prefix', () => {
    expect(read({ tags: ['team:eng'], plan: 'free' })).toMatchObject({ tier: 'free' });
    expect(read({ tags: 'tier:gold', plan: 'free' })).toMatchObject({ tier: 'free' });
  });
});

describe('duration', () => {
  it('a duration field wins over the end time', () => {
    expect(read({ took: 250, end: 1735725610 })).toMatchObject({ durationMs: 250 });
  });

  it('else end - start, rounded, and zero when the end is before the start', () => {
    expect(read({ end: 1735725601.2345 })).toMatchObject({ durationMs: 1235 });
    expect(read({ end: 1735725599 })).toMatchObject({ durationMs: 0 });
    expect(read({})).toMatchObject({ durationMs: undefined });
  });
});

describe('flat token fields', () => {
  it('an inconsistent line names the input field, or inputTokens when none is mapped', () => {
    expect(read({ cached: 5, out: 1 })).toMatchObject({
      reason: 'invalid_field',
      field: 'inputTokens',
      message: 'inputTokens: input tokens (0) are fewer than the cached tokens they include (5)',
    });
  });
});

describe('yes/no fields', () => {
  it.each([
    [true, true],
    ['True', true],
    ['yes', true],
    [1, true],
    ['FALSE', false],
    ['none', false],
    [0, false],
  ])('%j is %s', (hit, expected) => {
    expect(read({ hit })).toMatchObject({ gatewayCacheHit: expected });
  });

  it('anything else is refused naming the field', () => {
    expect(read({ hit: 'maybe' })).toMatchObject({
      reason: 'invalid_field',
      field: 'hit',
      message: 'hit: expected true or false, got "maybe"',
    });
    expect(read({ hit: {} })).toMatchObject({ field: 'hit', message: 'hit: expected true or false, got an object' });
    expect(read({ hit: ['True'] })).toMatchObject({
      field: 'hit',
      message: 'hit: expected true or false, got an array',
    });
    expect(read({ hit: [1] })).toMatchObject({ field: 'hit', message: 'hit: expected true or false, got an array' });
  });
});

describe('web search context', () => {
  it('is low, medium or high, in any case, with the searches it applies to', () => {
    expect(read({ searches: 2, context: 'HIGH' })).toMatchObject({
      toolCalls: {
        webSearchQueries: 2,
        webSearchContext: 'high',
        fileSearchCalls: 0,
        codeInterpreterSessions: 0,
        mapsGroundingQueries: 0,
      },
    });
    expect(read({ context: 'low' })).toMatchObject({ toolCalls: { webSearchQueries: 0, webSearchContext: 'low' } });
  });

  it('anything else is refused naming the field', () => {
    expect(read({ context: 'huge' })).toMatchObject({
      reason: 'invalid_field',
      field: 'context',
      message: 'context: expected low, medium or high, got "huge"',
    });
  });
});

describe("the gateway's own cost", () => {
  it('is USD as a number or decimal text, to exact pico-USD', () => {
    expect(read({ cost: 0.5 })).toMatchObject({ reportedCostPusd: 500_000_000_000n });
    expect(read({ cost: '0.000000000001' })).toMatchObject({ reportedCostPusd: 1n });
    expect(read({ cost: 0 })).toMatchObject({ reportedCostPusd: 0n });
    expect(read({})).toMatchObject({ reportedCostPusd: undefined });
  });

  it.each([
    [-1, '-1'],
    ['abc', '"abc"'],
    [true, 'true'],
    [[1], 'an array'],
  ])('%j is refused naming the field', (cost, shown) => {
    expect(read({ cost })).toMatchObject({
      reason: 'invalid_field',
      field: 'cost',
      message: `cost: expected a cost in USD, got ${shown}`,
    });
  });
});

describe('status codes are exactly three digits', () => {
  it.each([[[429]], [' 429'], ['429 '], ['0429']])('a status of %j is refused', (status) => {
    expect(read({ status })).toMatchObject({ reason: 'invalid_field', field: 'status' });
  });

  it.each([[[503]], [' 503'], ['503 '], ['0503']])('an error detail code of %j is no HTTP status', (code) => {
    expect(read({ code })).toMatchObject({ status: 'success', httpStatus: undefined });
  });
});

describe('limits of the fields read', () => {
  it('a line without the yes/no field is not a cache hit', () => {
    expect(read({})).toMatchObject({ gatewayCacheHit: false });
  });

  it('the largest cost the ledger holds (2^63 - 1 pico-USD) is read, one pico-USD more is refused', () => {
    expect(read({ cost: '9223372.036854775807' })).toMatchObject({ reportedCostPusd: (1n << 63n) - 1n });
    expect(read({ cost: '9223372.036854775808' })).toMatchObject({ reason: 'invalid_field', field: 'cost' });
  });

  it('names a nested path with its dots', () => {
    const nested = new LineParser({
      format: 'generic',
      mappings: { generic: compileMapping({ startTime: 'ts', model: 'request.model' }, 'auto', true) },
    });
    expect(nested.parse(JSON.stringify({ ts: 1735725600, request: { model: {} } }))).toMatchObject({
      reason: 'invalid_field',
      field: 'request.model',
    });
  });
});

describe('required fields', () => {
  const parserFor = (fields: Parameters<typeof compileMapping>[0]) =>
    new LineParser({ format: 'generic', mappings: { generic: compileMapping(fields, 'auto', true) } });

  it('a missing start time or model names the mapped path', () => {
    expect(read({ ts: undefined })).toMatchObject({
      reason: 'missing_field',
      field: 'ts',
      message: 'missing start time (ts)',
    });
    expect(read({ model: '' })).toMatchObject({
      reason: 'missing_field',
      field: 'model',
      message: 'missing model (model)',
    });
  });

  it('a mapping without them names the canonical field', () => {
    expect(parserFor({ model: 'model' }).parse('{"model":"m"}')).toMatchObject({
      reason: 'missing_field',
      field: 'startTime',
      message: 'missing start time (startTime)',
    });
    expect(parserFor({ startTime: 'ts' }).parse('{"ts":1735725600}')).toMatchObject({
      reason: 'missing_field',
      field: 'model',
      message: 'missing model (model)',
    });
  });
});

/**
 * Whether a line told what the request consumed (`usageReported`), which tokens and tool calls it bills, and which
 * field wins when a mapped field and the usage object both say: a generic mapping with flat token fields beside a
 * usage object (OpenAI semantics: the input count includes cache reads and writes).
 */
describe('accounting fields', () => {
  let accounting: LineParser;
  beforeEach(() => {
    accounting = new LineParser({
      format: 'generic',
      mappings: {
        generic: compileMapping(
          {
            startTime: 'ts',
            model: 'model',
            modelRequested: 'asked',
            status: 'status',
            usage: 'usage',
            inputTokens: 'in',
            outputTokens: 'out',
            cacheReadTokens: 'cached',
            cacheWriteTokens: 'written',
            cacheWrite1hTokens: 'written_1h',
            gatewayCacheHit: 'hit',
            serviceTier: 'service_tier',
            speed: 'speed',
            inferenceGeo: 'geo',
            webSearchQueries: 'searches',
            fileSearchCalls: 'file_searches',
            codeInterpreterSessions: 'sessions',
            mapsGroundingQueries: 'maps',
          },
          'auto',
          true
        ),
      },
    });
  });
  const account = (extra: Record<string, unknown>): UsageRecord | ParseRejection => {
    const r = accounting.parse(JSON.stringify({ ts: 1735725600, model: 'claude-sonnet-4-5', ...extra }));
    return isRejection(r) ? r : r.record;
  };

  it.each([
    ['no token field', false, {}],
    ['a failure without any token field', false, { status: 'failure' }],
    ['a success that read and wrote nothing (an interrupted stream)', false, { in: 0, out: 0 }],
    ['a failure with zero tokens (nothing billed)', true, { status: 'failure', in: 0, out: 0 }],
    ['input only', true, { in: 12 }],
    ['output only', true, { out: 3 }],
    ['a prompt read entirely from the cache', true, { in: 40, cached: 40 }],
    ['a prompt written entirely to the cache', true, { in: 40, written: 40 }],
    ['a prompt written entirely to the 1-hour cache', true, { in: 40, written_1h: 40 }],
    ['a usage object', true, { usage: { input_tokens: 10, output_tokens: 2 } }],
    ["the gateway's own cache answered, without tokens", true, { hit: 'True' }],
  ])('%s: usage reported is %s', (_what, expected, extra) => {
    expect(account(extra)).toMatchObject({ usageReported: expected });
  });

  it('one-sided flat usage counts the side given and zero for the other', () => {
    expect(account({ out: 3 })).toMatchObject({ tokens: { inputUncached: 0, output: 3 } });
    expect(account({ in: 12 })).toMatchObject({ tokens: { inputUncached: 12, output: 0 } });
  });

  it('the requested model is read, else the billed model is taken for it', () => {
    expect(account({ asked: 'sonnet' })).toMatchObject({ model: 'claude-sonnet-4-5', modelRequested: 'sonnet' });
    expect(account({})).toMatchObject({ modelRequested: 'claude-sonnet-4-5' });
  });

  it('service tier, speed and region: the mapped field, lower-cased, wins over the usage object', () => {
    // Anthropic's usage object carries service_tier, inference_geo and speed (read by usage.ts).
    const usage = {
      input_tokens: 10,
      output_tokens: 2,
      service_tier: 'standard',
      inference_geo: 'global',
      speed: 'standard',
    };
    expect(account({ usage })).toMatchObject({ serviceTier: 'standard', inferenceGeo: 'global', speed: 'standard' });
    expect(account({ usage, service_tier: 'Priority', geo: 'US', speed: 'Fast' })).toMatchObject({
      serviceTier: 'priority',
      inferenceGeo: 'us',
      speed: 'fast',
    });
  });

  it('web searches: the mapped count wins over the usage object, which counts when unmapped', () => {
    const usage = { input_tokens: 10, output_tokens: 2, server_tool_use: { web_search_requests: 2 } };
    expect(account({ usage })).toMatchObject({ toolCalls: { webSearchQueries: 2 } });
    expect(account({ usage, searches: 5 })).toMatchObject({ toolCalls: { webSearchQueries: 5 } });
  });

  it.each([
    ['searches', 'webSearchQueries'],
    ['file_searches', 'fileSearchCalls'],
    ['sessions', 'codeInterpreterSessions'],
    ['maps', 'mapsGroundingQueries'],
  ])('a single billed tool call (%s) is kept, the others zero', (field, name) => {
    expect(account({ [field]: 1 })).toMatchObject({
      toolCalls: {
        webSearchQueries: 0,
        fileSearchCalls: 0,
        codeInterpreterSessions: 0,
        mapsGroundingQueries: 0,
        webSearchContext: undefined,
        [name]: 1,
      },
    });
  });

  it('without tool calls, none are billed', () => {
    expect(account({ in: 1 })).toMatchObject({ toolCalls: NO_TOOL_CALLS });
  });
});
