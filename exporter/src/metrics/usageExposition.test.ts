import fc from 'fast-check';
import { picoToUsdNumber } from '../money';
import { DEFAULT_METRICS_CONFIG, MetricsConfig } from './exporterMetrics';
import { CHUNK_SERIES } from './seriesText';
import { OTHER } from './seriesLimiter';
import { labelText, sampleLine } from './textExposition';
import { USAGE_LABELS, UsageAggregate, UsageCell, UsageLabel } from './usageAggregate';
import { TOKEN_BUCKET_LABELS, UsageExposition } from './usageExposition';

/** One sample, label values as they are (unescaped). */
interface Sample {
  name: string;
  labels: [string, string][];
  value: number;
}

/**
 * The three usage families computed from scratch, the plain way: every cell in the order it was created,
 * admitted or folded by the cap in that order, summed per exposed label set.
 */
function expectedSamples(usage: UsageAggregate, config: MetricsConfig): Sample[] {
  // Sums as bigint (exact); what a sample shows of one: a count, or pico-USD as USD.
  const families: [
    string,
    UsageLabel[],
    string[],
    (c: UsageCell, bucket: number) => bigint,
    (sum: bigint) => number,
  ][] = [
    ['tokenledger_requests_total', config.labels.requests, [''], (c) => BigInt(c.requests), Number],
    ['tokenledger_tokens_total', config.labels.tokens, TOKEN_BUCKET_LABELS, (c, k) => BigInt(c.tokens[k]!), Number],
    ['tokenledger_cost_usd_total', config.labels.cost, [''], (c) => c.costPusd, picoToUsdNumber],
  ];
  const out: Sample[] = [];
  for (const [name, labels, buckets, amount, shown] of families) {
    const admitted = new Set<string>();
    const sets = new Map<string, { values: string[]; sums: bigint[] }>();
    for (const cell of usage.cells.values()) {
      let values = labels.map((l) => cell.labels[USAGE_LABELS.indexOf(l)]!);
      const key = JSON.stringify(values);
      if (!admitted.has(key) && admitted.size < config.maxSeries) admitted.add(key);
      if (!admitted.has(key)) values = values.map((v, i) => (config.foldLabels.includes(labels[i]!) ? OTHER : v));
      const setKey = JSON.stringify(values);
      let set = sets.get(setKey);
      if (!set) sets.set(setKey, (set = { values, sums: buckets.map(() => 0n) }));
      set.sums = set.sums.map((sum, k) => sum + amount(cell, k));
    }
    for (const set of sets.values())
      buckets.forEach((bucket, k) =>
        out.push({
          name,
          labels: [
            ...labels.map((l, i): [string, string] => [l, set.values[i]!]),
            ...(bucket ? [['bucket', bucket] as [string, string]] : []),
          ],
          value: shown(set.sums[k]!),
        })
      );
  }
  return out;
}

/** The usage families' samples as the plain full render writes them (same helpers, one line after the other). */
function fullRender(samples: Sample[]): string {
  return samples
    .map((s) =>
      sampleLine(
        s.name,
        labelText(
          s.labels.map(([n]) => n),
          s.labels.map(([, v]) => v)
        ),
        s.value
      )
    )
    .join('');
}

/** Reads sample lines of the text format back, unescaping label values (`\\`, `\n`, `\"`). */
function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    let i = line.search(/[{ ]/);
    const name = line.slice(0, i);
    const labels: [string, string][] = [];
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const eq = line.indexOf('="', i);
        if (eq < 0) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
        const label = line.slice(i, eq);
        let value = '';
        for (i = eq + 2; line[i] !== '"'; i++) {
          if (i >= line.length) throw new Error(`unterminated label value: ${JSON.stringify(line)}`);
          if (line[i] === '\\') value += { n: '\n', '\\': '\\', '"': '"' }[line[++i]!];
          else value += line[i];
        }
        labels.push([label, value]);
        i++;
        if (line[i] === ',') i++;
      }
      i++;
    }
    expect(line[i]).toBe(' ');
    out.push({ name, labels, value: Number(line.slice(i + 1)) });
  }
  return out;
}

/** The requests, tokens and cost families of a rendered text (the small families follow them). */
async function usageFamiliesText(exposition: UsageExposition): Promise<string> {
  const text = Buffer.concat((await exposition.render()).parts.map((p) => p.text)).toString();
  return text.slice(0, text.indexOf('# HELP tokenledger_request_duration_seconds'));
}

const withoutComments = (text: string) =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

/** Label values with what the text format escapes, what it does not, and any Unicode. */
const labelValue = fc.oneof(
  fc.constantFrom('alice', 'bob', OTHER),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\\n', '{', '}', ',', '=', ' ', 'é', '😀', 'a'), maxLength: 6 }),
  fc.string({ unit: 'grapheme', maxLength: 8 })
);
const tuple = fc.tuple(
  labelValue,
  labelValue,
  labelValue,
  labelValue,
  labelValue,
  fc.constantFrom('success', 'failure')
);
const totals = fc.record({
  requests: fc.nat(1000),
  tokens: fc.array(fc.nat(1_000_000), { minLength: 4, maxLength: 4 }),
  costPusd: fc.bigInt(0n, 10n ** 15n),
});
/** A batch's totals for some of the tuples, or a re-pricing of one; rendered after it, or while it is applied. */
const change = (tuples: number) =>
  fc.record({
    batch: fc.option(fc.array(fc.tuple(fc.nat(tuples - 1), totals), { maxLength: 40 }), { nil: undefined }),
    repriced: fc.tuple(fc.nat(tuples - 1), fc.bigInt(1n, 10n ** 12n)),
    render: fc.constantFrom('after', 'during', 'not'),
  });
const config = fc.record({
  labels: fc.record({
    requests: fc.subarray([...USAGE_LABELS]),
    tokens: fc.subarray([...USAGE_LABELS]),
    cost: fc.subarray([...USAGE_LABELS]),
  }),
  maxSeries: fc.integer({ min: 1, max: 400 }),
  foldLabels: fc.subarray([...USAGE_LABELS]),
});

describe('UsageExposition', () => {
  it('renders, change after change, the text a full render of the same totals writes, escaped so it reads back', async () => {
    await fc.assert(
      fc.asyncProperty(
        config,
        fc
          .array(tuple, { minLength: 1, maxLength: 300 })
          .chain((tuples) =>
            fc.tuple(fc.constant(tuples), fc.array(change(tuples.length), { minLength: 1, maxLength: 12 }))
          ),
        async (cfg, [tuples, changes]) => {
          const usage = new UsageAggregate();
          // Slices of 0 ms: the render yields before each chunk, so changes land between its slices.
          const exposition = new UsageExposition(usage, cfg, 0);
          for (const c of changes) {
            const apply = () => {
              if (c.batch)
                usage.addTotals({
                  cells: c.batch.map(([t, x]) => ({ labels: tuples[t]!, ...x })),
                  latency: [],
                  unpriced: [],
                  reconciliation: [],
                });
              else usage.addCost(tuples[c.repriced[0]]!, c.repriced[1]);
            };
            if (c.render === 'during') {
              // The render takes the totals as they are when it starts; what changes meanwhile waits for the next.
              const expected = expectedSamples(usage, cfg);
              const rendering = usageFamiliesText(exposition);
              apply();
              const text = await rendering;
              expect(withoutComments(text)).toBe(withoutComments(fullRender(expected)));
              continue;
            }
            apply();
            if (c.render === 'not') continue;
            const expected = expectedSamples(usage, cfg);
            const text = await usageFamiliesText(exposition);
            expect(withoutComments(text)).toBe(withoutComments(fullRender(expected)));
            expect(parseSamples(text)).toEqual(expected);
          }
          const final = await usageFamiliesText(exposition);
          expect(parseSamples(final)).toEqual(expectedSamples(usage, cfg));
        }
      ),
      { numRuns: 60 }
    );
  });

  it('renders again only the chunks whose samples changed, and the rest as they were', async () => {
    const usage = new UsageAggregate();
    const exposition = new UsageExposition(usage, { ...DEFAULT_METRICS_CONFIG, maxSeries: 100_000 });
    const cell = (i: number) => ({
      labels: [`user-${i}`, 'standard', `key-${i}`, 'team', 'gpt-4o', 'success'],
      requests: 1,
      tokens: [1, 2, 3, 4],
      costPusd: 5n,
    });
    usage.addTotals({
      cells: Array.from({ length: 3 * CHUNK_SERIES }, (_, i) => cell(i)),
      latency: [],
      unpriced: [],
      reconciliation: [],
    });
    const first = (await exposition.render()).parts;
    usage.addTotals({ cells: [cell(CHUNK_SERIES + 1)], latency: [], unpriced: [], reconciliation: [] });
    const second = (await exposition.render()).parts;
    expect(second).toHaveLength(first.length);
    // The chunks of each family that hold that cell's samples are new; the family headers and every other
    // chunk are the very same buffers as before (the small families' part, last, is rendered each time).
    const changed = second.filter((p, i) => p !== first[i]);
    expect(changed.map((p) => p.text.toString().includes('user="user-513"'))).toEqual([true, true, true, false]);
    expect(changed[3]).toBe(second[second.length - 1]);
    expect(changed[0]!.text.toString()).toContain(
      'user="user-513",tier="standard",api_key="key-513",team="team",model="gpt-4o",status="success"} 2\n'
    );
  });
});
