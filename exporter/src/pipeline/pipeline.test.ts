import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../ledger/ledger';
import { DEFAULT_METRICS_CONFIG, ExporterMetrics } from '../metrics/exporterMetrics';
import { UsageAggregate } from '../metrics/usageAggregate';
import { seedMetricsFromLedger } from '../metrics/seedFromLedger';
import { IdentityMap } from '../pricing/identityMap';
import { PriceBook } from '../pricing/priceBook';
import { Pricer } from '../pricing/pricer';
import { LineParser } from '../parse/lineParser';
import { Pipeline } from './pipeline';

// The metrics add what the ledger summed of each batch's new rows: after any mix of new rows, repeats within
// a batch and rows stored already, they must equal the ledger's own totals.

const line = (id: string, user: string, model: string, durationS: number): string =>
  JSON.stringify({ id, startTime: 1735689600 + Number(id.slice(1)), endTime: 1735689600 + Number(id.slice(1)) + durationS, model, status: 'success', prompt_tokens: 100, completion_tokens: 10, metadata: { user_api_key_user_id: user } });

describe('Pipeline metrics', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tl-pipeline-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('count each stored request once: repeats within a batch and rows already in the ledger are left out', async () => {
    const ledger = await Ledger.open(join(dir, 'l.duckdb'));
    const book: PriceBook = { version: 'v1', models: new Map([['m1', [{ effectiveFromMs: 0, rates: { inputUncached: 1000000n, cacheRead: 500000n, cacheWrite: 1000000n, output: 2000000n } }]]]), aliases: new Map(), tiers: new Map(), warnings: [] };
    const pricer = new Pricer(book);
    const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    const pipeline = new Pipeline({ ledger, pricer: () => pricer, identities: () => new IdentityMap([], 'standard'), metrics, batchLines: 1000, onRejects: () => undefined });
    const handle = pipeline.handler({ name: 'src', parser: new LineParser({ format: 'litellm', mappings: {} }), keyNamespace: undefined });
    const feed = (texts: string[]) => handle({ path: 'x.jsonl', texts: texts.map((text, i) => ({ text, line: i + 1, startOffset: 0, endOffset: 0, tooLong: false })), position: undefined });
    try {
      await feed([line('r1', 'ann', 'm1', 0.2), line('r2', 'bob', 'unknown-model', 3), line('r1', 'ann', 'm1', 0.2)]);
      await pipeline.flush();
      expect(pipeline.stats).toMatchObject({ recordsStored: 2, duplicates: 1, unpriced: 1 });
      // r2 is stored already; r3 and r4 are new.
      await feed([line('r2', 'bob', 'unknown-model', 3), line('r3', 'ann', 'm1', 20), line('r4', 'cy', 'unknown-model', 0.05)]);
      await pipeline.flush();
      expect(pipeline.stats).toMatchObject({ recordsStored: 4, duplicates: 2, unpriced: 2 });

      const fromLedger = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
      await seedMetricsFromLedger(ledger, fromLedger);
      const plain = (u: UsageAggregate) => ({
        cells: [...u.cells].sort(([a], [b]) => a.localeCompare(b)),
        latency: [...u.latency].sort(([a], [b]) => a.localeCompare(b)).map(([m, l]) => [m, l.buckets, l.count]),
        unpriced: [...u.unpriced].sort(),
      });
      expect(plain(metrics.usage)).toEqual(plain(fromLedger.usage));
      expect([...metrics.usage.cells.values()].reduce((n, c) => n + c.requests, 0)).toBe(4);
      expect(metrics.usage.unpriced.get('unknown-model')).toBe(2);
    } finally {
      await ledger.close();
    }
  });
});
