import { isRejection, ParseRejection, UsageRecord } from '../types';
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
