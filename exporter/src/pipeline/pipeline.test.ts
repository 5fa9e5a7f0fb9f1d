import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckDbRows } from '../../test/duckdbFile';
import { DuckDbLedger } from '../ledger/duckdb/duckDbLedger';
import { Ledger, LedgerError, RejectedLine } from '../ledger/ledger';
import { DEFAULT_METRICS_CONFIG, ExporterMetrics } from '../metrics/exporterMetrics';
import { UsageAggregate } from '../metrics/usageAggregate';
import { seedMetricsFromLedger } from '../metrics/seedFromLedger';
import { IdentityMap } from '../pricing/identityMap';
import { PriceBook } from '../pricing/priceBook';
import { Pricer } from '../pricing/pricer';
import { Pipeline, Push } from './pipeline';
import type { SourceContext } from './sourceContext';

// The metrics add what the ledger summed of each batch's new rows: after any mix of new rows, repeats within
// a batch and rows stored already, they must equal the ledger's own totals.

const line = (id: string, user: string, model: string, durationS: number): string =>
  JSON.stringify({
    id,
    startTime: 1735689600 + Number(id.slice(1)),
    endTime: 1735689600 + Number(id.slice(1)) + durationS,
    model,
    status: 'success',
    prompt_tokens: 100,
    completion_tokens: 10,
    metadata: { user_api_key_user_id: user },
  });

const bookAt = (version: string, inputPusd: bigint): PriceBook => ({
  version,
  models: new Map([
    [
      'm1',
      [
        {
          effectiveFromMs: 0,
          rates: { inputUncached: inputPusd, cacheRead: inputPusd, cacheWrite: inputPusd, output: 0n },
        },
      ],
    ],
  ]),
  aliases: new Map(),
  tiers: new Map(),
  warnings: [],
});

describe('Pipeline metrics', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tl-pipeline-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('count each stored request once: repeats within a batch and rows already in the ledger are left out', async () => {
    const ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    const pricer = new Pricer({
      ...bookAt('v1', 1000000n),
      models: new Map([
        [
          'm1',
          [
            {
              effectiveFromMs: 0,
              rates: { inputUncached: 1000000n, cacheRead: 500000n, cacheWrite: 1000000n, output: 2000000n },
            },
          ],
        ],
      ]),
    });
    const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    const pipeline = new Pipeline({
      ledger,
      pricer: () => pricer,
      identities: () => new IdentityMap([], 'standard'),
      metrics,
      batchLines: 1000,
      onRejects: () => undefined,
    });
    const handle = pipeline.handler({
      name: 'src',
      parser: { format: 'litellm', mappings: {} },
      keyNamespace: undefined,
      otherLines: 'reject',
    });
    const feed = (texts: string[]) =>
      handle({
        path: 'x.jsonl',
        texts: texts.map((text, i) => ({ text, line: i + 1, startOffset: 0, endOffset: 0, tooLong: false })),
        position: undefined,
      });
    try {
      await feed([line('r1', 'ann', 'm1', 0.2), line('r2', 'bob', 'unknown-model', 3), line('r1', 'ann', 'm1', 0.2)]);
      await pipeline.flush();
      expect(pipeline.stats).toMatchObject({ recordsStored: 2, duplicates: 1, unpriced: 1 });
      // r2 is stored already; r3 and r4 are new.
      await feed([
        line('r2', 'bob', 'unknown-model', 3),
        line('r3', 'ann', 'm1', 20),
        line('r4', 'cy', 'unknown-model', 0.05),
      ]);
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
      await pipeline.close();
      await ledger.close();
    }
  });

  it('parse reads on both threads into one batch: prices as of each read, the first of two repeats kept', async () => {
    const ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    let pricer = new Pricer(bookAt('v1', 1000n));
    const pipeline = new Pipeline({
      ledger,
      pricer: () => pricer,
      identities: () => new IdentityMap([], 'standard'),
      metrics: undefined,
      batchLines: 1000,
      onRejects: () => undefined,
    });
    const handle = pipeline.handler({
      name: 'src',
      parser: { format: 'litellm', mappings: {} },
      keyNamespace: undefined,
      otherLines: 'reject',
    });
    try {
      // Reads handed over without a turn of the event loop between them: the worker takes the first four
      // (parseThread.ts), this thread parses the rest. The prices change between reads, as on a reload.
      for (let i = 1; i <= 8; i++) {
        if (i === 3) pricer = new Pricer(bookAt('v2', 2000n));
        if (i === 6) pricer = new Pricer(bookAt('v3', 3000n));
        const texts = [line(`r${i}`, `u${i}`, 'm1', 1)];
        if (i === 7) texts.push(line('r2', 'repeat-of-r2', 'm1', 1), 'not json');
        await handle({
          path: 'x.jsonl',
          texts: texts.map((text, j) => ({
            text,
            line: i * 10 + j,
            startOffset: i * 1000 + j,
            endOffset: i * 1000 + j + 1,
            tooLong: false,
          })),
          position: undefined,
        });
      }
      await pipeline.flush();
      expect(pipeline.stats).toMatchObject({
        linesRead: 10,
        recordsStored: 8,
        duplicates: 1,
        rejected: new Map([['invalid_json', 1]]),
      });
      await pipeline.close();
      await ledger.close();
      const path = join(dir, 'l.duckdb');
      const rows = await duckDbRows(
        path,
        'SELECT record_key, user_id, price_version, cost_pusd FROM usage ORDER BY record_key'
      );
      expect(
        rows.map(
          (r) => `${String(r.record_key)} ${String(r.user_id)} ${String(r.price_version)} ${String(r.cost_pusd)}`
        )
      ).toEqual([
        'litellm:r1 u1 v1 100000',
        'litellm:r2 u2 v1 100000',
        'litellm:r3 u3 v2 200000',
        'litellm:r4 u4 v2 200000',
        'litellm:r5 u5 v2 200000',
        'litellm:r6 u6 v3 300000',
        'litellm:r7 u7 v3 300000',
        'litellm:r8 u8 v3 300000',
      ]);
      expect((await duckDbRows(path, 'SELECT line FROM rejects')).map((r) => Number(r.line))).toEqual([72]);
    } finally {
      await pipeline.close();
      await ledger.close();
    }
  });
  it('counts the lines of an other_lines: ignore source that are not usage records as skipped, on both threads and across a restart', async () => {
    const ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    const pipeline = new Pipeline({
      ledger,
      pricer: () => new Pricer(bookAt('v1', 1000n)),
      identities: () => new IdentityMap([], 'standard'),
      metrics,
      batchLines: 1000,
      onRejects: () => undefined,
    });
    const handle = pipeline.handler({
      name: 'stdout',
      parser: { format: 'auto', mappings: {} },
      keyNamespace: undefined,
      otherLines: 'ignore',
    });
    // LiteLLM's stdout: uvicorn's access lines and its own log lines around the usage payloads.
    const noise = [
      'INFO:     Started server process [1]',
      'INFO:     10.0.0.7:51234 - "POST /chat/completions HTTP/1.1" 200 OK',
      '{"level":"info","message":"router: model group healthy"}', // JSON, of no usage format
      '[1, 2]',
    ];
    const usageLike = ['{"id": "r9", "startTime": 17', `{"id":"r8","model":"m1","call_type":"acompletion"}`];
    try {
      // Several reads without a turn of the event loop between them: the worker parses some, this thread the rest.
      for (let i = 1; i <= 6; i++) {
        const texts = [
          line(`r${i}`, 'ann', 'm1', 1),
          ...(i <= 4 ? [noise[i - 1]!] : []),
          ...(i === 5 ? usageLike : []),
        ];
        await handle({
          path: 'stdout.log',
          texts: texts.map((text, j) => ({
            text,
            line: i * 10 + j,
            startOffset: i * 1000 + j,
            endOffset: i * 1000 + j + 1,
            tooLong: false,
          })),
          position: undefined,
        });
      }
      await pipeline.flush();
      // A record cut short and one missing its start time are usage that could not be read: still refused.
      expect(pipeline.stats).toMatchObject({
        linesRead: 12,
        recordsStored: 6,
        skipped: 4,
        rejected: new Map([
          ['invalid_json', 1],
          ['missing_field', 1],
        ]),
      });
      expect([...metrics.linesSkipped]).toEqual([['stdout', 4]]);
      const restarted = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
      await seedMetricsFromLedger(ledger, restarted);
      expect([...restarted.linesSkipped]).toEqual([['stdout', 4]]);
      const exposition = Buffer.concat(await restarted.exposition()).toString();
      expect(exposition).toContain('tokenledger_lines_skipped_total{source="stdout"} 4\n');
    } finally {
      await pipeline.close();
      await ledger.close();
    }
  });
});

describe('Pipeline.commitPush', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tl-pipeline-push-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const source: SourceContext = {
    name: 'push:litellm',
    parser: { format: 'litellm', mappings: {} },
    keyNamespace: undefined,
    otherLines: 'reject',
  };
  const pushOf = (id: string): Push => ({
    id,
    path: id,
    bodySha256: 'b'.repeat(64),
    leftOut: 0,
    atMs: Date.now(),
    texts: [line('r1', 'ann', 'm1', 1), '{"id":"bad","model":"m1"}', line('r2', 'bob', 'm1', 1)].map((text, i) => ({
      text,
      line: i + 1,
      startOffset: i * 100,
      endOffset: i * 100 + 99,
      tooLong: false,
    })),
  });

  /** A pipeline on `ledger`, with its metrics and what it handed to the reject file. */
  const pipelineOn = (ledger: Ledger) => {
    const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    const quarantined: RejectedLine[] = [];
    const pipeline = new Pipeline({
      ledger,
      pricer: () => new Pricer(bookAt('v1', 1000n)),
      identities: () => new IdentityMap([], 'standard'),
      metrics,
      batchLines: 1000,
      onRejects: (r) => quarantined.push(...r),
    });
    const requests = () => [...metrics.usage.cells.values()].reduce((n, c) => n + c.requests, 0);
    return { pipeline, metrics, quarantined, requests };
  };

  it('stores a push as one batch and counts it once: the ledger replaying it adds nothing more', async () => {
    const ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    const { pipeline, metrics, quarantined, requests } = pipelineOn(ledger);
    try {
      const first = await pipeline.commitPush(source, pushOf('push:a'));
      expect(first).toMatchObject({
        receipt: { id: 'push:a', received: 3, stored: 2, repeats: 0, skipped: 0, refused: 1 },
        replayed: false,
        counted: true,
      });
      expect(first.receipt.refusals.map((r) => [r.line, r.reason])).toEqual([[2, 'missing_field']]);
      expect(quarantined.map((r) => [r.path, r.line])).toEqual([['push:a', 2]]);
      const again = await pipeline.commitPush(source, pushOf('push:a'));
      expect(again).toEqual({ ...first, replayed: true, counted: false });
      expect(requests()).toBe(2);
      expect([...metrics.linesRead]).toEqual([['push:litellm', 3]]);
      expect(quarantined.map((r) => r.line)).toEqual([2]);
    } finally {
      await pipeline.close();
      await ledger.close();
    }
  });

  it('counts a push whose commit was stored but answered with an error when its retry is replayed', async () => {
    const ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    let loseAnswer = true;
    // The real ledger; only the first commit's answer is lost on the way back (a connection cut after COMMIT).
    const answerLost = new Proxy(ledger, {
      get(target, prop) {
        if (prop === 'commitBatch')
          return async (...args: Parameters<Ledger['commitBatch']>) => {
            const result = await target.commitBatch(...args);
            if (loseAnswer) {
              loseAnswer = false;
              throw new LedgerError('connection lost after the commit');
            }
            return result;
          };
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const { pipeline, metrics, quarantined, requests } = pipelineOn(answerLost);
    try {
      await expect(pipeline.commitPush(source, pushOf('push:b'))).rejects.toThrow('connection lost after the commit');
      expect(requests()).toBe(0);
      const retry = await pipeline.commitPush(source, pushOf('push:b'));
      expect(retry).toMatchObject({ receipt: { stored: 2 }, replayed: true, counted: true });
      expect(requests()).toBe(2);
      expect([...metrics.linesRead]).toEqual([['push:litellm', 3]]);
      expect(quarantined.map((r) => r.line)).toEqual([2]);
    } finally {
      await pipeline.close();
      await ledger.close();
    }
  });
});
