import fc from 'fast-check';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ledger, LedgerBatch, LedgerError, PushToCommit, ReadPosition, RejectedLine } from '../src/ledger/ledger';
import { LedgerSpec, openLedger } from '../src/ledger/open';
import { Dimension, DIMENSIONS, NO_USAGE, RowSelection, UsageTotals } from '../src/ledger/queries';
import { EncodedRows, joinRows, UsageBatch } from '../src/ledger/rows';
import { PriceBook } from '../src/pricing/priceBook';
import { Pricer } from '../src/pricing/pricer';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, PricedRecord, PricingInputs } from '../src/types';

/**
 * The ledger's contract: what every engine must do, asserted through the Ledger interface alone. Each engine's
 * test file runs it (ledger.duckdb.test.ts, ledger.postgres.test.ts), always, in CI. `fresh` gives a new,
 * empty ledger per test.
 */

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;

export function record(id: string, startMs: number, output: number, costPusd?: bigint, user = id): PricedRecord {
  return {
    requestId: id,
    startMs,
    durationMs: 1200,
    user,
    apiKeyId: undefined,
    apiKeyAlias: 'k1',
    team: 't1',
    tier: 'standard',
    model: 'm1',
    provider: undefined,
    status: 'success',
    httpStatus: undefined,
    tokens: { ...NO_TOKENS, inputUncached: 10, cacheRead: 0, cacheWrite: 0, output },
    ...DEFAULT_PRICING_EXTRAS,
    modelRequested: undefined,
    reportedCostPusd: undefined,
    feePusd: undefined,
    pricedModel: undefined,
    source: 'litellm',
    costPusd,
    chargePusd: costPusd,
    priceVersion: costPusd === undefined ? undefined : 'v1',
  };
}

/** A batch's rows, encoded into the ledger's spool as the pipeline's threads do. */
export function rowsOf(ledger: Ledger, ...records: PricedRecord[]): EncodedRows {
  const b = new UsageBatch(ledger.rowFormat, ledger.rowSpool);
  records.forEach((r, seq) => b.add(r, seq));
  return b.encoded();
}

let batchIds = 0;
export function batchOf(
  ledger: Ledger,
  records: PricedRecord[],
  extra: Partial<Omit<LedgerBatch, 'rows'>> = {}
): LedgerBatch {
  return {
    id: `test-batch-${++batchIds}`,
    rows: rowsOf(ledger, ...records),
    rejects: [],
    positions: [],
    counters: [],
    ...extra,
  };
}

/** A push's receipt as the pipeline hands it over (Pipeline.commitPush), committed at `committedMs`. */
export function pushToCommit(committedMs = T0, extra: Partial<PushToCommit> = {}): PushToCommit {
  return {
    receipt: {
      bodySha256: 'c'.repeat(64),
      committedMs,
      received: 4,
      skipped: 0,
      refused: 1,
      refusedByReason: { invalid_json: 1 },
      refusals: [{ line: 3, offset: 300, reason: 'invalid_json', field: undefined, message: 'not JSON at line 3' }],
    },
    ...extra,
  };
}

let pushIds = 0;
/** A push of `records` and one refused line, as its own batch: its id the push's. */
function pushOf(ledger: Ledger, records: PricedRecord[], push: PushToCommit = pushToCommit()): LedgerBatch {
  return batchOf(ledger, records, {
    id: `push:${++pushIds}`,
    rejects: [reject(3, `push:${pushIds}`)],
    counters: [
      { name: 'lines_read', label: 'push:gw', delta: records.length + 1 },
      { name: 'lines_rejected', label: 'invalid_json', delta: 1 },
    ],
    push,
  });
}

const ALL_TIME = { fromMs: 0, toMs: Date.parse('2100-01-01T00:00:00Z'), filters: {} };

/** Output tokens per user over all time: with `record`'s user = id, what the ledger holds of each request. */
async function outputsByUser(ledger: Ledger): Promise<Record<string, number>> {
  const { rows } = await ledger.breakdown({ ...ALL_TIME, groupBy: ['user'], sort: 'requests', limit: undefined });
  return Object.fromEntries(
    rows.map((r) => [r.dims.user!, r.outputTokens]).sort(([a], [b]) => String(a).localeCompare(String(b)))
  );
}

/** A quarantined line `line` of `path`, as the pipeline hands it over. */
export function reject(line: number, path = '/logs/gw.log'): RejectedLine {
  return {
    source: 'gw',
    path,
    line,
    byteOffset: line * 100,
    byteLength: 100,
    reason: 'invalid_json',
    field: undefined,
    message: `not JSON at line ${line}`,
    lineSha256: 'ab'.repeat(32),
    excerpt: '{"model":"m1"}',
  };
}

function position(fileKey: string, offset: number): ReadPosition {
  return {
    source: 'gw',
    fileKey,
    path: `/logs/${fileKey}.log`,
    fingerprint: 'f'.repeat(64),
    fingerprintLen: 256,
    offset,
    line: offset / 10 + 1,
    finished: false,
  };
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (t: UsageTotals) => ({
  requests: t.requests,
  inputTokens: t.inputTokens,
  cacheWriteTokens: t.cacheWriteTokens,
  outputTokens: t.outputTokens,
  costPusd: t.costPusd,
  unpricedRequests: t.unpricedRequests,
  feePusd: t.feePusd,
  unreportedRequests: t.unreportedRequests,
  gatewayRequests: t.gatewayRequests,
  gatewayCostPusd: t.gatewayCostPusd,
  gatewayOursPusd: t.gatewayOursPusd,
  gatewayUnpricedRequests: t.gatewayUnpricedRequests,
});

/** Every total of `records` (none, when empty), summed here as a plain scan of them would: independent of any engine. */
function scanTotals(records: readonly PricedRecord[]): UsageTotals {
  const t: UsageTotals = { ...NO_USAGE };
  for (const r of records) {
    const k = r.tokens;
    t.requests++;
    if (r.status === 'failure') t.failedRequests++;
    t.inputTokens += k.inputUncached + k.cacheRead + k.cacheWrite + k.cacheWrite1h;
    t.cacheReadTokens += k.cacheRead;
    t.cacheWriteTokens += k.cacheWrite + k.cacheWrite1h;
    t.outputTokens += k.output;
    t.reasoningTokens += k.reasoning;
    t.costPusd += r.costPusd ?? 0n;
    t.chargePusd += r.chargePusd ?? 0n;
    t.feePusd += r.feePusd ?? 0n;
    if (r.costPusd === undefined) t.unpricedRequests++;
    if (!r.usageReported) t.unreportedRequests++;
    if (r.reportedCostPusd !== undefined && r.costPusd !== undefined) {
      t.gatewayRequests++;
      t.gatewayCostPusd += r.reportedCostPusd;
      t.gatewayOursPusd += r.costPusd;
    }
    if (r.reportedCostPusd !== undefined && r.costPusd === undefined) t.gatewayUnpricedRequests++;
  }
  return t;
}

/** Totals of the records in [from, to) that pass `keep`, computed here, independently of any engine. */
const expectedTotals = (
  records: readonly PricedRecord[],
  fromMs: number,
  toMs: number,
  keep: (r: PricedRecord) => boolean
) => pick(scanTotals(records.filter((r) => r.startMs >= fromMs && r.startMs < toMs && keep(r))));

/** A record's value of each dimension, as the ledger stores it. */
const DIMENSION_OF: Record<Dimension, (r: PricedRecord) => string> = {
  user: (r) => r.user!,
  apiKey: (r) => r.apiKeyAlias!,
  team: (r) => r.team!,
  tier: (r) => r.tier!,
  model: (r) => r.model,
};

/** Whether a record is in a selection: its range, filters and scope. */
function selects(q: RowSelection, r: PricedRecord): boolean {
  if (r.startMs < q.fromMs || r.startMs >= q.toMs) return false;
  return DIMENSIONS.every(
    (d) =>
      (!q.filters[d]?.length || q.filters[d]!.includes(DIMENSION_OF[d](r))) &&
      (q.scope?.[d] === undefined || q.scope[d] === DIMENSION_OF[d](r))
  );
}

/** Records grouped by `key`, each group's scan totals. */
function totalsBy(records: readonly PricedRecord[], key: (r: PricedRecord) => string): Map<string, UsageTotals> {
  const groups = new Map<string, PricedRecord[]>();
  for (const r of records) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return new Map([...groups].map(([k, rs]) => [k, scanTotals(rs)]));
}

const totalsOf = <T extends UsageTotals>(row: T): UsageTotals => {
  const { dims: _dims, timeMs: _timeMs, ...totals } = row as T & { dims?: unknown; timeMs?: unknown };
  return totals;
};

/** A record with every pricing input, fee, priced model and gateway cost set to a value of its own. */
export function fullRecord(id: string, startMs: number, costPusd: bigint | undefined): PricedRecord {
  return {
    ...record(id, startMs, 50, costPusd),
    apiKeyId: 'sha256:abc',
    provider: 'anthropic',
    httpStatus: 200,
    model: 'claude-x-20260101',
    modelRequested: 'my-alias',
    baseModel: 'claude-x',
    tokens: {
      inputUncached: 100,
      cacheRead: 20,
      cacheWrite: 30,
      cacheWrite1h: 40,
      output: 50,
      reasoning: 11,
      inputAudio: 7,
      inputImage: 8,
      inputVideo: 9,
      outputAudio: 3,
      outputImage: 4,
    },
    serviceTier: 'priority',
    speed: 'fast',
    inferenceGeo: 'us',
    toolCalls: {
      webSearchQueries: 2,
      webSearchContext: 'high',
      fileSearchCalls: 3,
      codeInterpreterSessions: 1,
      mapsGroundingQueries: 5,
    },
    gatewayCacheHit: true,
    usageReported: true,
    reportedCostPusd: 123_456_789n,
    feePusd: costPusd === undefined ? undefined : 25_000_000n,
    pricedModel: costPusd === undefined ? undefined : 'claude-x',
  };
}

/** The pricing inputs of a record (types.ts PricingInputs), as the pricer gets them. */
function inputsOf(r: PricedRecord): PricingInputs {
  return {
    model: r.model,
    baseModel: r.baseModel,
    provider: r.provider,
    tier: r.tier,
    startMs: r.startMs,
    tokens: r.tokens,
    serviceTier: r.serviceTier,
    speed: r.speed,
    inferenceGeo: r.inferenceGeo,
    toolCalls: r.toolCalls,
    gatewayCacheHit: r.gatewayCacheHit,
    usageReported: r.usageReported,
  };
}

/**
 * `shared`: the engine is a ledger many replicas write at once (each with its own node name); one writing
 * process per ledger otherwise (DuckDB's file lock), and the cases about several replicas are not its contract.
 */
export function describeLedgerContract(engine: string, fresh: () => Promise<LedgerSpec>, shared: boolean): void {
  describe(`the ${engine} ledger keeps the ledger contract`, () => {
    let spec: LedgerSpec;
    const open: Ledger[] = [];
    const openAs = async (node = 'node-a') => {
      const l = await openLedger(spec, { node });
      open.push(l);
      return l;
    };
    beforeEach(async () => {
      spec = await fresh();
    });
    afterEach(async () => {
      for (const l of open.splice(0)) await l.close();
    });

    it('keeps the first of two repeats within a batch, and reports only what landed', async () => {
      const ledger = await openAs();
      const result = await ledger.commitBatch(
        batchOf(ledger, [record('a', T0, 5, 100n), record('b', T0, 7), record('a', T0, 9, 100n)])
      );
      expect(result.inserted).toBe(2);
      expect(await outputsByUser(ledger)).toEqual({ a: 5, b: 7 });
      expect(result.added.cells).toEqual([
        expect.objectContaining({ requests: 1, tokens: [10, 0, 0, 5], costPusd: 100n }),
        expect.objectContaining({ requests: 1, tokens: [10, 0, 0, 7], costPusd: 0n }),
      ]);
      expect(result.added.unpriced).toEqual([{ model: 'm1', requests: 1 }]);
      expect(result.added.latency).toEqual([expect.objectContaining({ model: 'm1', count: 2 })]);
    });

    it('keeps the repeat read first when a batch was encoded in two parts', async () => {
      const ledger = await openAs();
      // Two threads encode one batch (pipeline/parseThread.ts); `seq` is the place read, not the place in the file.
      const worker = new UsageBatch(ledger.rowFormat, ledger.rowSpool);
      worker.add(record('a', T0, 9), 4);
      worker.add(record('b', T0, 2), 1);
      const main = new UsageBatch(ledger.rowFormat, ledger.rowSpool);
      main.add(record('a', T0, 5), 3);
      main.add(record('b', T0, 8), 6);
      const result = await ledger.commitBatch({
        ...batchOf(ledger, []),
        rows: joinRows(worker.encoded(), main.encoded()),
      });
      expect(result.inserted).toBe(2);
      expect(await outputsByUser(ledger)).toEqual({ a: 5, b: 2 });
    });

    it('leaves out requests stored by an earlier batch, however the batches are cut', async () => {
      const ledger = await openAs();
      await ledger.commitBatch(batchOf(ledger, [record('a', T0, 5), record('b', T0 + 1000, 7)]));
      const again = await ledger.commitBatch(
        batchOf(ledger, [record('b', T0 + 1000, 7), record('c', T0 + 500, 3), record('a', T0, 5)])
      );
      expect(again.inserted).toBe(1);
      expect(again.added.cells.map((c) => c.requests)).toEqual([1]);
      const replay = await ledger.commitBatch(
        batchOf(ledger, [record('a', T0, 5), record('b', T0 + 1000, 7), record('c', T0 + 500, 3)])
      );
      expect(replay).toMatchObject({ inserted: 0, added: { cells: [], latency: [], unpriced: [] } });
      expect(await outputsByUser(ledger)).toEqual({ a: 5, b: 7, c: 3 });
    });

    it('stores one request id at two start times as two requests', async () => {
      const ledger = await openAs();
      await ledger.commitBatch(batchOf(ledger, [record('a', T0, 5, undefined, 'u')]));
      const second = await ledger.commitBatch(batchOf(ledger, [record('a', T0 + 60_000, 6, undefined, 'u')]));
      expect(second.inserted).toBe(1);
      expect(await outputsByUser(ledger)).toEqual({ u: 11 });
    });

    if (shared)
      it('stores a request once when two replicas commit it at the same moment', async () => {
        const a = await openAs('node-a');
        const b = await openAs('node-b');
        const records = Array.from({ length: 200 }, (_, i) => record(`r${i}`, T0 + i * 1000, 1, 10n, 'u'));
        const results = await Promise.all([
          a.commitBatch(batchOf(a, records)),
          b.commitBatch(batchOf(b, [...records].reverse())),
        ]);
        expect(results[0].inserted + results[1].inserted).toBe(200);
        expect((await a.breakdown({ ...ALL_TIME, groupBy: [], sort: 'cost', limit: undefined })).total).toMatchObject({
          requests: 200,
          costPusd: 2000n,
        });
      });

    it('stores nothing twice when a batch is committed again, and answers as it did (its first answer was lost)', async () => {
      const ledger = await openAs();
      // A request stored before, so that the batch's answer is not all of its rows.
      await ledger.commitBatch(batchOf(ledger, [record('old', T0, 1)], { rejects: [reject(2)] }));
      const batch = batchOf(ledger, [record('a', T0, 5, 7n), record('old', T0, 1), record('b', T0 + HOUR, 6)], {
        rejects: [reject(3), reject(2)],
        positions: [position('1:1', 40)],
        counters: [{ name: 'lines_read', label: 'gw', delta: 4 }],
      });
      const first = await ledger.commitBatch(batch);
      expect(first).toMatchObject({ inserted: 2, freshRejects: [reject(3)] });
      const retry = await ledger.commitBatch(batch);
      // The counters and the reject file are fed from this answer: the same as the lost one, said to be a replay.
      expect(first.replayed).toBeUndefined();
      expect(retry).toEqual({ ...first, replayed: true });
      expect(await ledger.counters()).toEqual([{ name: 'lines_read', label: 'gw', value: 4 }]);
      expect(await outputsByUser(ledger)).toEqual({ a: 5, b: 6, old: 1 });
      expect(await ledger.rejectsAfter(0)).toHaveLength(2);
      // The replay left no transaction open: the next batch commits.
      expect(await ledger.commitBatch(batchOf(ledger, [record('next', T0, 2)]))).toMatchObject({ inserted: 1 });
      expect(await outputsByUser(ledger)).toEqual({ a: 5, b: 6, next: 2, old: 1 });
    });

    it('stores none of a batch that fails half-way through its commit, and commits the next', async () => {
      const ledger = await openAs();
      await ledger.commitBatch(batchOf(ledger, [record('old', T0, 1)]));
      // Its rows go in before its read positions, and this position's offset is beyond the ledger's BIGINT.
      const failing = batchOf(ledger, [record('lost', T0, 3)], {
        rejects: [reject(2)],
        positions: [position('1:1', 2 ** 63)],
        counters: [{ name: 'lines_read', label: 'gw', delta: 2 }],
      });
      await expect(ledger.commitBatch(failing)).rejects.toThrow(LedgerError);
      expect(await outputsByUser(ledger)).toEqual({ old: 1 });
      expect(await ledger.counters()).toEqual([]);
      expect(await ledger.rejectsAfter(0)).toEqual([]);
      expect(await ledger.readPositions('gw')).toEqual([]);
      const next = batchOf(ledger, [record('next', T0, 2)], {
        counters: [{ name: 'lines_read', label: 'gw', delta: 1 }],
      });
      expect(await ledger.commitBatch(next)).toMatchObject({ inserted: 1 });
      expect(await outputsByUser(ledger)).toEqual({ next: 2, old: 1 });
      expect(await ledger.counters()).toEqual([{ name: 'lines_read', label: 'gw', value: 1 }]);
    });

    it("keeps a push's receipt with it, and answers the push again from it, storing and counting nothing more", async () => {
      const a = await openAs('node-a');
      await a.commitBatch(batchOf(a, [record('old', T0, 1)]));
      const push = pushOf(a, [record('p1', T0, 5, 7n), record('old', T0, 1), record('p2', T0 + HOUR, 6)]);
      const first = await a.commitBatch(push);
      const receipt = {
        ...pushToCommit().receipt,
        id: push.id,
        node: 'node-a',
        stored: 2,
        repeats: 1,
      };
      expect(first).toMatchObject({ inserted: 2, freshRejects: push.rejects, push: receipt });
      expect(first.replayed).toBeUndefined();
      expect(await a.pushReceipt(push.id)).toEqual(receipt);
      expect(await a.pushReceipt('push:never')).toBeUndefined();
      // Sent again, after other batches (a push is not recognised as the last batch, but by its receipt): the
      // answer the first commit had, to count it if it was lost.
      await a.commitBatch(batchOf(a, [record('later', T0, 1)]));
      expect(await a.commitBatch(push)).toEqual({ ...first, replayed: true });
      const counters = [
        { name: 'lines_read', label: 'push:gw', value: 4 },
        { name: 'lines_rejected', label: 'invalid_json', value: 1 },
      ];
      const sorted = async (l: Ledger) => (await l.counters()).sort((x, y) => x.name.localeCompare(y.name));
      expect(await sorted(a)).toEqual(counters);
      expect(await a.rejectsAfter(0)).toHaveLength(1);
      expect(await outputsByUser(a)).toEqual({ later: 1, old: 1, p1: 5, p2: 6 });
      if (shared) {
        // Sent to another replica: the receipt answers it there too; what it stored is node-a's to count.
        const b = await openAs('node-b');
        expect(await b.pushReceipt(push.id)).toEqual(receipt);
        expect(await b.commitBatch({ ...push, rows: rowsOf(b, record('p1', T0, 5, 7n)) })).toEqual({
          inserted: 0,
          added: { cells: [], latency: [], unpriced: [], reconciliation: [] },
          freshRejects: [],
          batch: first.batch,
          replayed: true,
          push: receipt,
        });
        expect(await b.counters()).toEqual([]);
        expect(await sorted(a)).toEqual(counters);
      }
      // The replay left no transaction open: the next push commits.
      expect(await a.commitBatch(pushOf(a, [record('next', T0, 2)]))).toMatchObject({ inserted: 1 });
      expect(await outputsByUser(a)).toEqual({ later: 1, next: 2, old: 1, p1: 5, p2: 6 });
    });

    it("keeps a file batch's retry recognised when a push committed in between", async () => {
      const a = await openAs();
      const batch = batchOf(a, [record('f', T0, 2)], { counters: [{ name: 'lines_read', label: 'gw', delta: 1 }] });
      const first = await a.commitBatch(batch);
      await a.commitBatch(pushOf(a, [record('p', T0, 3)]));
      expect(await a.commitBatch(batch)).toEqual({ ...first, replayed: true });
      expect((await a.counters()).find((c) => c.label === 'gw')).toEqual({ name: 'lines_read', label: 'gw', value: 1 });
    });

    it('forgets the receipts committed before a cutoff with a push, never a younger one', async () => {
      const a = await openAs();
      const old = pushOf(a, [record('o', T0, 1)], pushToCommit(T0));
      const young = pushOf(a, [record('y', T0, 1)], pushToCommit(T0 + 2 * HOUR));
      await a.commitBatch(old);
      await a.commitBatch(young);
      const cutoff = T0 + 2 * HOUR;
      const now = pushOf(a, [record('n', T0, 1)], pushToCommit(T0 + 26 * HOUR, { forgetBeforeMs: cutoff }));
      await a.commitBatch(now);
      expect(await a.pushReceipt(old.id)).toBeUndefined();
      expect(await a.pushReceipt(young.id)).toMatchObject({ committedMs: T0 + 2 * HOUR });
      expect(await a.pushReceipt(now.id)).toMatchObject({ committedMs: T0 + 26 * HOUR });
      // Forgotten, the push is a new one: its records are repeats, its refused line is quarantined already.
      expect(await a.commitBatch(old)).toMatchObject({
        inserted: 0,
        freshRejects: [],
        push: { stored: 0, repeats: 1 },
      });
    });

    if (shared)
      it('commits a push once when two replicas commit it at the same moment; the other gets its receipt', async () => {
        const a = await openAs('node-a');
        const b = await openAs('node-b');
        const records = Array.from({ length: 200 }, (_, i) => record(`r${i}`, T0 + i * 1000, 1, 10n, 'u'));
        const push = pushOf(a, records);
        const results = await Promise.all([
          a.commitBatch(push),
          b.commitBatch({ ...push, rows: rowsOf(b, ...[...records].reverse()) }),
        ]);
        const winner = results.findIndex((r) => !r.replayed);
        expect(results.map((r) => r.replayed === true).sort()).toEqual([false, true]);
        const node = winner === 0 ? 'node-a' : 'node-b';
        const receipt = { ...pushToCommit().receipt, id: push.id, node, stored: 200, repeats: 0 };
        expect(results.map((r) => r.push)).toEqual([receipt, receipt]);
        expect(results[1 - winner]).toMatchObject({ inserted: 0, freshRejects: [] });
        expect((await a.breakdown({ ...ALL_TIME, groupBy: [], sort: 'cost', limit: undefined })).total).toMatchObject({
          requests: 200,
          costPusd: 2000n,
        });
        const counted = [...(await a.counters()), ...(await b.counters())];
        expect(counted.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
          { name: 'lines_read', label: 'push:gw', value: 201 },
          { name: 'lines_rejected', label: 'invalid_json', value: 1 },
        ]);
        expect([...(await a.rejectsAfter(0)), ...(await b.rejectsAfter(0))]).toHaveLength(1);
      });

    it('commits read positions, counters and rejects with the batch, for its node only', async () => {
      const a = await openAs('node-a');
      const r1 = await a.commitBatch(
        batchOf(a, [record('a', T0, 5)], {
          rejects: [reject(1), reject(2)],
          positions: [position('1:1', 40), position('1:2', 10)],
          counters: [
            { name: 'lines_read', label: 'gw', delta: 3 },
            { name: 'lines_rejected', label: 'invalid_json', delta: 2 },
          ],
        })
      );
      expect(r1.freshRejects.map((r) => r.line)).toEqual([1, 2]);
      const r2 = await a.commitBatch(
        batchOf(a, [], {
          rejects: [reject(2), reject(5)],
          positions: [position('1:1', 90)],
          counters: [{ name: 'lines_read', label: 'gw', delta: 7 }],
        })
      );
      // A line re-read after a crash is not quarantined twice.
      expect(r2.freshRejects.map((r) => r.line)).toEqual([5]);
      expect(r2.batch).toBeGreaterThan(r1.batch);
      expect((await a.readPositions('gw')).sort((x, y) => x.fileKey.localeCompare(y.fileKey))).toEqual([
        position('1:1', 90),
        position('1:2', 10),
      ]);
      expect(await a.readPositions('other')).toEqual([]);
      expect((await a.counters()).sort((x, y) => x.name.localeCompare(y.name))).toEqual([
        { name: 'lines_read', label: 'gw', value: 10 },
        { name: 'lines_rejected', label: 'invalid_json', value: 2 },
      ]);
      expect((await a.rejectsAfter(r1.batch)).map((r) => [r.batch, r.reject.line])).toEqual([[r2.batch, 5]]);
      expect((await a.rejectsAfter(0))[0]!.reject).toEqual(reject(1));
      expect(await a.lastRejectBatch()).toBe(r2.batch);
      expect(await a.lastCheckpointMs()).toBeGreaterThan(Date.now() - 600_000);
      if (shared) {
        // Another replica of the shared ledger has positions, counters and rejects of its own.
        const b = await openAs('node-b');
        expect(await b.readPositions('gw')).toEqual([]);
        expect(await b.counters()).toEqual([]);
        expect(await b.lastRejectBatch()).toBe(0);
        expect(await b.lastCheckpointMs()).toBe(0);
      }
    });

    it('keeps what it stored across a close and an open, and numbers batches on from there', async () => {
      let ledger = await openAs();
      const first = await ledger.commitBatch(batchOf(ledger, [record('a', T0, 5, 70n)], { rejects: [reject(1)] }));
      await ledger.close();
      open.splice(open.indexOf(ledger), 1);
      ledger = await openAs();
      expect(await outputsByUser(ledger)).toEqual({ a: 5 });
      const next = await ledger.commitBatch(batchOf(ledger, [record('b', T0, 1)], { rejects: [reject(2)] }));
      expect(next.batch).toBeGreaterThan(first.batch);
      expect((await ledger.metricTotals()).cells.map((c) => c.requests)).toEqual([1, 1]);
    });

    it('gives the pipeline a spool of its own: empty when opened, gone when closed', async () => {
      const ledger = await openAs();
      expect(readdirSync(ledger.rowSpool)).toEqual([]);
      const rows = rowsOf(ledger, record('a', T0, 5));
      expect([...rows.files, ...rows.shortFiles].map((f) => dirname(f.path))).toEqual([ledger.rowSpool]);
      // A batch that was never committed (read before a stop): its lines are read again by the next process.
      writeFileSync(join(ledger.rowSpool, 'never-committed.tsv'), 'x\n');
      await ledger.commitBatch({ ...batchOf(ledger, []), rows });
      await ledger.close();
      open.splice(open.indexOf(ledger), 1);
      expect(existsSync(ledger.rowSpool)).toBe(false);
      const again = await openAs();
      expect(readdirSync(again.rowSpool)).toEqual([]);
      expect(await outputsByUser(again)).toEqual({ a: 5 });
    });

    it('seeds the metrics with what its node stored, equal to what the batches added', async () => {
      const a = await openAs('node-a');
      const added = [
        await a.commitBatch(batchOf(a, [record('a', T0, 5, 10n), record('b', T0 + 1, 6)])),
        await a.commitBatch(batchOf(a, [record('c', T0 + 2, 7, 20n, 'a')])),
      ];
      const totals = await a.metricTotals();
      const requests = (cells: { labels: string[]; requests: number }[]) =>
        Object.fromEntries(cells.map((c) => [c.labels.join('/'), c.requests]));
      expect(requests(totals.cells)).toEqual({
        ...requests(added[0]!.added.cells),
        'a/standard/k1/t1/m1/success': 2,
      });
      expect(totals.cells.reduce((s, c) => s + c.costPusd, 0n)).toBe(30n);
      expect(totals.latency).toEqual([expect.objectContaining({ model: 'm1', count: 3, sumSeconds: 3.6 })]);
      if (shared) {
        const b = await openAs('node-b');
        await b.commitBatch(batchOf(b, [record('d', T0, 1)]));
        expect((await b.metricTotals()).cells.map((c) => c.labels[0])).toEqual(['d']);
        expect((await a.metricTotals()).cells).toHaveLength(totals.cells.length);
      }
    });

    it('round-trips texts with tabs, newlines, quotes, backslashes and non-ASCII', async () => {
      const ledger = await openAs();
      const names = [
        'tab\there',
        'new\nline',
        'quote"d',
        'back\\slash',
        '\\N',
        'ünïcødé 用户 🚀',
        'comma,semi;',
        "o'brien",
      ];
      await ledger.commitBatch(
        batchOf(
          ledger,
          names.map((n, i) => record(`id-${i}`, T0 + i, i + 1, undefined, n))
        )
      );
      expect(Object.keys(await outputsByUser(ledger)).sort()).toEqual([...names].sort());
      expect(await ledger.dimensionValues('user', ALL_TIME)).toEqual(
        [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      );
    });

    it('answers and commits as before once it has released its caches', async () => {
      const ledger = await openAs();
      await ledger.commitBatch(batchOf(ledger, [record('a', T0, 5, 7n), record('b', T0 + HOUR, 3)]));
      const before = await outputsByUser(ledger);
      await ledger.releaseCaches();
      expect(await outputsByUser(ledger)).toEqual(before);
      expect((await ledger.commitBatch(batchOf(ledger, [record('c', T0 + 2 * HOUR, 2)]))).inserted).toBe(1);
      expect(await outputsByUser(ledger)).toEqual({ ...before, c: 2 });
    });

    it('answers every query over any range exactly as a scan of the records would', async () => {
      const ledger = await openAs();
      const rand = random(20261201);
      const users = ['ann', 'bob', 'cy'];
      const models = ['m1', 'm2'];
      const records: PricedRecord[] = Array.from({ length: 400 }, (_, i) => {
        const r = record(`q${i}`, T0 + Math.floor(rand() * 50 * HOUR), Math.floor(rand() * 100));
        r.user = users[Math.floor(rand() * users.length)];
        r.model = models[Math.floor(rand() * models.length)]!;
        r.costPusd = rand() < 0.2 ? undefined : BigInt(Math.floor(rand() * 1e9));
        r.chargePusd = r.costPusd;
        r.status = rand() < 0.1 ? 'failure' : 'success';
        r.tokens = { ...r.tokens, cacheWrite: Math.floor(rand() * 50), cacheWrite1h: Math.floor(rand() * 50) };
        r.feePusd = r.costPusd === undefined || rand() < 0.5 ? undefined : r.costPusd / 3n;
        r.usageReported = rand() < 0.9;
        r.reportedCostPusd = rand() < 0.5 ? BigInt(Math.floor(rand() * 1e9)) : undefined;
        return r;
      });
      for (let i = 0; i < records.length; i += 100)
        await ledger.commitBatch(batchOf(ledger, records.slice(i, i + 100)));
      const ranges: [number, number][] = [
        [T0, T0 + 50 * HOUR],
        [T0 + 30 * 60_000, T0 + 10 * HOUR + 17_000], // partial hours at both ends
        [T0 + 5 * HOUR, T0 + 5 * HOUR + 1_000], // inside one hour
        ...Array.from({ length: 6 }, (): [number, number] => {
          const a = T0 + Math.floor(rand() * 50 * HOUR);
          return [a, a + Math.floor(rand() * 20 * HOUR)];
        }),
      ];
      // The widest range a query may name ends at year 10000.
      const widest = await ledger.span({ fromMs: 0, toMs: Date.UTC(10000, 0, 1), scope: undefined });
      expect(widest.records).toBe(records.length);
      for (const [fromMs, toMs] of ranges) {
        const sel = { fromMs, toMs, filters: {} };
        const all = await ledger.breakdown({ ...sel, groupBy: ['user', 'model'], sort: 'cost', limit: undefined });
        expect(pick(all.total)).toEqual(expectedTotals(records, fromMs, toMs, () => true));
        for (const row of all.rows) {
          const keep = (r: PricedRecord) => r.user === row.dims.user && r.model === row.dims.model;
          expect(pick(row)).toEqual(expectedTotals(records, fromMs, toMs, keep));
        }
        const failed = records.filter((r) => r.startMs >= fromMs && r.startMs < toMs && r.status === 'failure');
        // Per model and day, as /api/v1/reconciliation asks (days are not whole-day ranges here: partial ends).
        for (const s of await ledger.timeSeries({ ...sel, groupBy: ['model'], stepSeconds: 86_400 }))
          for (const p of s.points) {
            const keep = (r: PricedRecord) => r.model === s.dims.model;
            const to = Math.min(p.timeMs + 86_400_000, toMs);
            expect(pick(p)).toEqual(expectedTotals(records, Math.max(p.timeMs, fromMs), to, keep));
          }
        expect(all.total.failedRequests).toBe(failed.length);
        const filtered = await ledger.breakdown({
          ...sel,
          filters: { model: ['m2'] },
          scope: { user: 'ann' },
          groupBy: [],
          sort: 'cost',
          limit: undefined,
        });
        const annM2 = (r: PricedRecord) => r.user === 'ann' && r.model === 'm2';
        expect(pick(filtered.total)).toEqual(expectedTotals(records, fromMs, toMs, annM2));
        const [spentAll, spentBob] = await ledger.spend([
          { fromMs, toMs },
          { fromMs, toMs, subject: { dimension: 'user' as Dimension, value: 'bob' } },
        ]);
        expect(spentAll).toBe(expectedTotals(records, fromMs, toMs, () => true).costPusd);
        expect(spentBob).toBe(expectedTotals(records, fromMs, toMs, (r) => r.user === 'bob').costPusd);
        const inRange = records.filter((r) => r.startMs >= fromMs && r.startMs < toMs);
        expect(await ledger.dimensionValues('model', sel)).toEqual([...new Set(inRange.map((r) => r.model))].sort());
        const span = await ledger.span({ fromMs, toMs, scope: undefined });
        expect(span).toEqual({
          records: inRange.length,
          firstMs: inRange.length ? Math.min(...inRange.map((r) => r.startMs)) : undefined,
          lastMs: inRange.length ? Math.max(...inRange.map((r) => r.startMs)) : undefined,
        });
        for (const stepSeconds of [3600, 1800, 7200]) {
          const series = await ledger.timeSeries({ ...sel, groupBy: ['user'], stepSeconds });
          for (const s of series)
            for (const p of s.points) {
              const keep = (r: PricedRecord) => r.user === s.dims.user;
              const stepMs = stepSeconds * 1000;
              const bucketFrom = Math.max(p.timeMs, fromMs);
              expect(p.timeMs % stepMs).toBe(0);
              expect(pick(p)).toEqual(expectedTotals(records, bucketFrom, Math.min(p.timeMs + stepMs, toMs), keep));
            }
          const points = series.reduce((n, s) => n + s.points.reduce((m, p) => m + p.requests, 0), 0);
          expect(points).toBe(inRange.length);
        }
      }
    });

    it('answers from every rollup level exactly as a scan: random ranges, groupings and filters, and after a re-price', async () => {
      const ledger = await openAs();
      const rand = random(20261214);
      const DAY = 24 * HOUR;
      const values: Record<Dimension, string[]> = {
        user: ['ann', 'bob', 'cy', 'dee'],
        apiKey: ['k1', 'k2', 'k3'],
        team: ['red', 'blue'],
        tier: ['free', 'paid'],
        model: ['m1', 'm2', 'm3'],
      };
      const any = (xs: readonly string[]) => xs[Math.floor(rand() * xs.length)]!;
      // Five UTC days, and a few requests on whole-hour and whole-day boundaries (an off-by-one there shows).
      let records: PricedRecord[] = Array.from({ length: 600 }, (_, i) => {
        const at =
          i % 20 === 0
            ? T0 + Math.floor(rand() * 5) * DAY + Math.floor(rand() * 24) * HOUR
            : T0 + Math.floor(rand() * 5 * DAY);
        const r = record(`p${i}`, at, Math.floor(rand() * 100));
        r.user = any(values.user);
        r.apiKeyAlias = any(values.apiKey);
        r.team = any(values.team);
        r.tier = any(values.tier);
        r.model = any(values.model);
        r.costPusd = rand() < 0.15 ? undefined : BigInt(Math.floor(rand() * 1e12));
        r.chargePusd = r.costPusd === undefined ? undefined : r.costPusd * 2n;
        r.feePusd = r.costPusd === undefined || rand() < 0.5 ? undefined : r.costPusd / 7n;
        r.status = rand() < 0.1 ? 'failure' : 'success';
        r.tokens = {
          ...r.tokens,
          cacheRead: Math.floor(rand() * 30),
          cacheWrite1h: Math.floor(rand() * 30),
          reasoning: Math.floor(rand() * 20),
        };
        r.usageReported = rand() < 0.9;
        r.reportedCostPusd = rand() < 0.5 ? BigInt(Math.floor(rand() * 1e12)) : undefined;
        return r;
      });
      for (let i = 0; i < records.length; i += 150)
        await ledger.commitBatch(batchOf(ledger, records.slice(i, i + 150)));

      // Ends on day or hour boundaries, or anywhere: whole days, whole hours and partial hours in every mix.
      const instant = fc
        .tuple(fc.integer({ min: -1, max: 6 * 24 }), fc.constantFrom('hour', 'minute', 'ms'))
        .map(([h, unit]) => {
          const at = T0 + h * HOUR;
          return unit === 'hour' ? at : unit === 'minute' ? at + 17 * 60_000 : at + 123_457;
        });
      const dayAligned = fc.integer({ min: -1, max: 6 }).map((d) => T0 + d * DAY);
      const filtersOf = fc.dictionary(
        fc.constantFrom(...DIMENSIONS),
        fc.constantFrom(...DIMENSIONS).chain((d) => fc.subarray(values[d], { minLength: 1 })),
        { maxKeys: 2 }
      );
      const query = fc.record({
        ends: fc.tuple(fc.oneof(instant, dayAligned), fc.oneof(instant, dayAligned)),
        groupBy: fc.subarray([...DIMENSIONS], { maxLength: 2 }),
        filters: filtersOf,
        scope: fc.option(
          fc.oneof(
            fc.constantFrom(...values.team).map((team) => ({ team })),
            fc.constantFrom(...values.user).map((user) => ({ user }))
          ),
          { nil: undefined }
        ),
        stepSeconds: fc.constantFrom(1800, 3600, 7200, 86_400, 2 * 86_400),
        subject: fc
          .constantFrom(...DIMENSIONS)
          .chain((dimension) => fc.constantFrom(...values[dimension]).map((value) => ({ dimension, value }))),
      });
      const check = (runs: number, seed: number) =>
        fc.assert(
          fc.asyncProperty(query, async ({ ends: [a, b], groupBy, filters, scope, stepSeconds, subject }) => {
            const sel: RowSelection = { fromMs: Math.min(a, b), toMs: Math.max(a, b), filters, scope };
            const chosen = records.filter((r) => selects(sel, r));
            const dimsKey = (r: PricedRecord) => JSON.stringify(groupBy.map((d) => DIMENSION_OF[d](r)));

            const got = await ledger.breakdown({ ...sel, groupBy, sort: 'cost', limit: undefined });
            expect(got.total).toEqual(scanTotals(chosen));
            if (groupBy.length)
              expect(
                new Map(got.rows.map((row) => [JSON.stringify(groupBy.map((d) => row.dims[d])), totalsOf(row)]))
              ).toEqual(totalsBy(chosen, dimsKey));

            const stepMs = stepSeconds * 1000;
            const series = await ledger.timeSeries({ ...sel, groupBy, stepSeconds });
            const points = new Map(
              series.flatMap((s) =>
                s.points.map(
                  (pt) => [`${JSON.stringify(groupBy.map((d) => s.dims[d]))} ${pt.timeMs}`, totalsOf(pt)] as const
                )
              )
            );
            expect(points).toEqual(totalsBy(chosen, (r) => `${dimsKey(r)} ${r.startMs - (r.startMs % stepMs)}`));

            const [all, ofSubject] = await ledger.spend([
              { fromMs: sel.fromMs, toMs: sel.toMs },
              { fromMs: sel.fromMs, toMs: sel.toMs, subject },
            ]);
            const inRange = records.filter((r) => selects({ ...sel, filters: {}, scope: undefined }, r));
            expect(all).toBe(scanTotals(inRange).costPusd);
            expect(ofSubject).toBe(
              scanTotals(inRange.filter((r) => DIMENSION_OF[subject.dimension](r) === subject.value)).costPusd
            );

            const dimension = groupBy[0] ?? 'model';
            expect(await ledger.dimensionValues(dimension, sel)).toEqual(
              [...new Set(chosen.map(DIMENSION_OF[dimension]))].sort()
            );
          }),
          { numRuns: runs, seed }
        );
      await check(60, 14);

      // A corrected book for m1 over a range that starts and ends inside an hour: every level follows.
      const from = T0 + DAY + 5 * HOUR + 1_000;
      const to = T0 + 3 * DAY + 7 * HOUR + 29 * 60_000;
      const corrected = (r: PricingInputs) =>
        r.model === 'm1'
          ? {
              costPusd: 11n * BigInt(r.tokens.output) + 1n,
              feePusd: 1n,
              chargePusd: 13n * BigInt(r.tokens.output),
              pricedModel: 'm1',
            }
          : undefined;
      await ledger.repriceRange({ fromMs: from, toMs: to }, corrected, 'v2', () => undefined);
      records = records.map((r) => {
        const p = r.startMs >= from && r.startMs < to ? corrected(inputsOf(r)) : undefined;
        return p ? { ...r, ...p } : r;
      });
      await check(40, 15);
    });

    it('drops whole months before a cutoff (retention), rollup and all, and takes a late row of one again', async () => {
      const a = await openAs('node-a');
      const jan = Date.parse('2026-01-15T10:20:00Z');
      const feb = Date.parse('2026-02-28T23:59:59.999Z');
      const mar = Date.parse('2026-03-01T00:00:00Z');
      await a.commitBatch(
        batchOf(a, [record('j', jan, 1, 1n, 'u'), record('f', feb, 2, 2n, 'u'), record('m', mar, 4, 4n, 'u')])
      );
      expect(await a.dropMonthsBefore(mar)).toEqual(['2026-01', '2026-02']);
      const all = async () => (await a.breakdown({ ...ALL_TIME, groupBy: [], sort: 'cost', limit: undefined })).total;
      expect(await all()).toMatchObject({ requests: 1, outputTokens: 4, costPusd: 4n });
      expect(await a.span({ fromMs: 0, toMs: Date.UTC(10000, 0, 1), scope: undefined })).toMatchObject({ records: 1 });
      expect(await a.dropMonthsBefore(mar)).toEqual([]);
      // A late line of a dropped month (a replay of an old log) is stored, until the next retention pass.
      const writer = shared ? await openAs('node-b') : a;
      await writer.commitBatch(batchOf(writer, [record('late', jan, 8, 8n, 'u')]));
      expect(await all()).toMatchObject({ requests: 2, costPusd: 12n });
      expect(await a.dropMonthsBefore(mar)).toEqual(['2026-01']);
      if (shared) {
        // node-b still believes January's partition is there: its next January row makes it again.
        await writer.commitBatch(batchOf(writer, [record('later', jan + 1, 16, 16n, 'u')]));
        expect(await all()).toMatchObject({ requests: 2, costPusd: 20n });
      }
    });

    it('prices each unpriced row of its node by its own tokens, and its queries see the new costs', async () => {
      const ledger = await openAs();
      await ledger.commitBatch(
        batchOf(ledger, [
          record('a', T0, 1, undefined, 'u'),
          record('a', T0 + HOUR + 1, 2, undefined, 'u'),
          record('b', T0, 4, 5n, 'u'),
        ])
      );
      const book: PriceBook = {
        version: 'v2',
        models: new Map([
          ['m1', [{ effectiveFromMs: 0, rates: { inputUncached: 0n, cacheRead: 0n, cacheWrite: 0n, output: 1000n } }]],
        ]),
        aliases: new Map(),
        tiers: new Map(),
        warnings: [],
      };
      const pricer = new Pricer(book);
      const credited: [string, bigint][] = [];
      const priced = await ledger.repriceUnpriced(pricer, 'v2', (labels, cost) =>
        credited.push([labels.join('/'), cost])
      );
      expect(priced).toBe(2);
      expect(credited.sort()).toEqual([
        ['u/standard/k1/t1/m1/success', 1000n],
        ['u/standard/k1/t1/m1/success', 2000n],
      ]);
      const total = (await ledger.breakdown({ ...ALL_TIME, groupBy: [], sort: 'cost', limit: undefined })).total;
      expect(total).toMatchObject({ costPusd: 3005n, unpricedRequests: 0 });
      const hourly = await ledger.timeSeries({
        fromMs: T0,
        toMs: T0 + 2 * HOUR,
        filters: {},
        groupBy: [],
        stepSeconds: 3600,
      });
      expect(hourly[0]!.points.map((p) => [p.costPusd, p.unpricedRequests])).toEqual([
        [1005n, 0],
        [2000n, 0],
      ]);
      expect(
        await ledger.repriceUnpriced(
          { price: () => ({ costPusd: 1n, feePusd: 0n, chargePusd: 1n, pricedModel: 'm1' }), billedModel: () => 'm1' },
          'v3',
          () => undefined
        )
      ).toBe(0);
    });

    it('reads no unpriced row while the book prices none of the models they name, and prices them once it does', async () => {
      const ledger = await openAs();
      const unknown = { ...record('unknown', T0, 3), model: 'not-in-book' };
      const unreported = { ...record('unreported', T0 + 1, 0), usageReported: false };
      const named = { ...fullRecord('named', T0 + 2, undefined), usageReported: true, gatewayCacheHit: false };
      await ledger.commitBatch(batchOf(ledger, [unknown, unreported, named, record('priced', T0 + 3, 1, 9n)]));
      const read: string[] = [];
      const namings: string[] = [];
      const book = (knows: string[]) => ({
        price: (r: PricingInputs) => {
          read.push(r.model);
          return knows.includes(r.model)
            ? { costPusd: 70n, feePusd: 0n, chargePusd: 70n, pricedModel: r.model }
            : undefined;
        },
        billedModel: (n: Pick<PricingInputs, 'model' | 'baseModel' | 'provider'>) => {
          namings.push(`${n.model}|${n.baseModel}|${n.provider}`);
          return knows.includes(n.model) ? n.model : null;
        },
      });
      // m1 is known, but its only unpriced row reported no usage: nothing to price, no row read.
      expect(await ledger.repriceUnpriced(book(['m1']), 'v2', () => undefined)).toBe(0);
      expect(read).toEqual([]);
      // Each way a reporting row names its model is asked once, as stored (an unreporting one need not be).
      expect(namings.sort()).toEqual(['claude-x-20260101|claude-x|anthropic', 'not-in-book|undefined|undefined']);
      // A book that knows one of them: every unpriced row is read and priced as the book says.
      expect(await ledger.repriceUnpriced(book(['not-in-book']), 'v3', () => undefined)).toBe(1);
      expect(read.sort()).toEqual(['claude-x-20260101', 'm1', 'not-in-book']);
      const total = (await ledger.breakdown({ ...ALL_TIME, groupBy: [], sort: 'cost', limit: undefined })).total;
      expect(total).toMatchObject({ costPusd: 79n, unpricedRequests: 2 });
      // A gateway cache hit left unpriced is priced whatever its model (at nothing, by the Pricer): read.
      await ledger.commitBatch(
        batchOf(ledger, [{ ...record('cached', T0 + 4, 0), model: 'x', gatewayCacheHit: true }])
      );
      read.length = 0;
      await ledger.repriceUnpriced(book([]), 'v4', () => undefined);
      expect(read.sort()).toEqual(['claude-x-20260101', 'm1', 'x']);
    });

    it("keeps every pricing input of a row, its fee, priced model and the gateway's cost, as readUsage gives them back", async () => {
      const ledger = await openAs();
      const priced = fullRecord('p', T0, 1_000_000_000n);
      const unreported: PricedRecord = {
        ...fullRecord('u', T0 + 1, undefined),
        usageReported: false,
        gatewayCacheHit: false,
        toolCalls: { ...fullRecord('u', T0, undefined).toolCalls, webSearchContext: undefined },
        serviceTier: undefined,
        reportedCostPusd: undefined,
      };
      await ledger.commitBatch(batchOf(ledger, [priced, unreported]));
      const { rows } = await ledger.readUsage(undefined, 10);
      const stored = (r: PricedRecord) => ({
        ...inputsOf(r),
        tier: r.tier ?? 'unknown',
        modelRequested: r.modelRequested,
        reportedCostPusd: r.reportedCostPusd,
        costPusd: r.costPusd,
        feePusd: r.feePusd,
        chargePusd: r.chargePusd,
        pricedModel: r.pricedModel,
        priceVersion: r.priceVersion,
      });
      expect(rows.sort((a, b) => a.startMs - b.startMs)).toEqual([
        expect.objectContaining(stored(priced)),
        expect.objectContaining(stored(unreported)),
      ]);
    });

    it("sums requests without reported usage and the gateway's cost against ours per model, for the metrics", async () => {
      const ledger = await openAs();
      const gw = (id: string, cost: bigint | undefined, reported: bigint | undefined): PricedRecord => ({
        ...record(id, T0, 1, cost),
        reportedCostPusd: reported,
      });
      const result = await ledger.commitBatch(
        batchOf(ledger, [
          gw('a', 100n, 90n),
          gw('b', 50n, 70n),
          gw('c', undefined, 30n), // the gateway priced it, the book did not: not compared
          gw('d', 10n, undefined),
          { ...record('e', T0, 0), usageReported: false },
          // A model with every request reported and none priced by the gateway: nothing to reconcile.
          { ...record('f', T0, 2, 5n), model: 'm2' },
        ])
      );
      const expected = [
        { model: 'm1', unreportedRequests: 1, gatewayRequests: 2, gatewayCostPusd: 160n, gatewayOursPusd: 150n },
      ];
      expect(result.added.reconciliation).toEqual(expected);
      expect((await ledger.metricTotals()).reconciliation).toEqual(expected);
    });

    it('gives the pricer every input of an unpriced row, and stores the fee and priced model it answers', async () => {
      const ledger = await openAs();
      const full = fullRecord('full', T0, undefined);
      const plain = record('plain', T0 + HOUR, 3);
      await ledger.commitBatch(batchOf(ledger, [full, plain]));
      const seen: PricingInputs[] = [];
      const priced = await ledger.repriceUnpriced(
        {
          price: (inputs) => {
            seen.push(inputs);
            return { costPusd: 1000n, feePusd: 400n, chargePusd: 1500n, pricedModel: 'book-model' };
          },
          billedModel: () => 'book-model',
        },
        'v2',
        () => undefined
      );
      expect(priced).toBe(2);
      expect(seen.sort((a, b) => a.startMs - b.startMs)).toEqual([inputsOf(full), inputsOf(plain)]);
      const total = (await ledger.breakdown({ ...ALL_TIME, groupBy: [], sort: 'cost', limit: undefined })).total;
      expect(total).toMatchObject({ costPusd: 2000n, feePusd: 800n, chargePusd: 3000n, unpricedRequests: 0 });
      // The gateway's cost of `full` is compared now that the book priced it.
      expect(total).toMatchObject({
        gatewayRequests: 1,
        gatewayCostPusd: full.reportedCostPusd,
        gatewayOursPusd: 1000n,
      });
      const { rows } = await ledger.readUsage(undefined, 10);
      expect(rows.map((r) => [r.pricedModel, r.feePusd, r.priceVersion])).toEqual([
        ['book-model', 400n, 'v2'],
        ['book-model', 400n, 'v2'],
      ]);
    });

    it('re-prices a range with a corrected book: changed rows and their rollup, the run recorded, the rest kept', async () => {
      const a = await openAs('node-a');
      const at = (r: PricedRecord, model: string, cost: bigint | undefined): PricedRecord => ({
        ...r,
        model,
        pricedModel: cost === undefined ? undefined : model,
        feePusd: cost === undefined ? undefined : 0n,
      });
      const records = [
        at(record('a', T0, 4, 100n), 'm1', 100n),
        at(record('b', T0 + HOUR + 5, 6, 200n), 'm1', 200n),
        at(record('c', T0 + 2 * HOUR, 8, 300n), 'm2', 300n), // the corrected book prices it as before
        at(record('d', T0 + 30 * 60_000, 2), 'm1', undefined), // unpriced until now
        at(record('e', T0 + 10 * HOUR, 5, 50n), 'm1', 50n), // outside the range
        at(record('f', T0 + HOUR, 1, 70n), 'm3', 70n), // no price in the corrected book: kept
      ];
      await a.commitBatch(batchOf(a, records));
      if (shared) {
        // Another replica's rows of the range are the fleet's: re-priced too.
        const b = await openAs('node-b');
        const g = at(record('g', T0 + 2 * HOUR + 1, 3, 9n), 'm1', 9n);
        await b.commitBatch(batchOf(b, [g]));
        records.push(g);
      }
      const corrected = (r: PricingInputs) =>
        r.model === 'm1'
          ? {
              costPusd: 10n * BigInt(r.tokens.output) + 5n,
              feePusd: 5n,
              chargePusd: 20n * BigInt(r.tokens.output),
              pricedModel: 'm1',
            }
          : r.model === 'm2'
            ? { costPusd: 300n, feePusd: 0n, chargePusd: 300n, pricedModel: 'm2' }
            : undefined;
      const fromMs = T0;
      const toMs = T0 + 3 * HOUR;
      const deltas: bigint[] = [];
      const run = await a.repriceRange({ fromMs, toMs }, corrected, 'v9', (_, d) => deltas.push(d));

      const inRange = (r: PricedRecord) => r.startMs >= fromMs && r.startMs < toMs;
      const after = records.map((r) => {
        const p = inRange(r) ? corrected(inputsOf(r)) : undefined;
        return p ? { ...r, ...p } : r;
      });
      const m1 = records.filter((r) => inRange(r) && r.model === 'm1');
      const m1After = after.filter((r) => inRange(r) && r.model === 'm1');
      const sum = (rs: PricedRecord[], f: (r: PricedRecord) => bigint | undefined) =>
        rs.reduce((n, r) => n + (f(r) ?? 0n), 0n);
      expect(run).toMatchObject({ fromMs, toMs, priceVersion: 'v9', node: 'node-a' });
      expect(run.models).toEqual([
        {
          model: 'm1',
          requests: m1.length,
          repriced: m1.length,
          oldCostPusd: sum(m1, (r) => r.costPusd),
          newCostPusd: sum(m1After, (r) => r.costPusd),
          oldChargePusd: sum(m1, (r) => r.chargePusd),
          newChargePusd: sum(m1After, (r) => r.chargePusd),
        },
        {
          model: 'm2',
          requests: 1,
          repriced: 0,
          oldCostPusd: 300n,
          newCostPusd: 300n,
          oldChargePusd: 300n,
          newChargePusd: 300n,
        },
        {
          model: 'm3',
          requests: 1,
          repriced: 0,
          oldCostPusd: 70n,
          newCostPusd: 70n,
          oldChargePusd: 70n,
          newChargePusd: 70n,
        },
      ]);
      expect(deltas.reduce((n, d) => n + d, 0n)).toBe(sum(after, (r) => r.costPusd) - sum(records, (r) => r.costPusd));
      expect(await a.repriceRuns()).toEqual([run]);
      // Whole hours are read from the rollup, the rest from the rows: both must say what a scan of them says.
      for (const [f, t] of [
        [0, Date.parse('2100-01-01T00:00:00Z')],
        [T0 + 17_000, T0 + 2 * HOUR + 17_000],
      ]) {
        const q = {
          fromMs: f!,
          toMs: t!,
          filters: {},
          groupBy: ['model'] as Dimension[],
          sort: 'cost' as const,
          limit: undefined,
        };
        const got = await a.breakdown(q);
        expect(pick(got.total)).toEqual(expectedTotals(after, f!, t!, () => true));
        for (const row of got.rows)
          expect(pick(row)).toEqual(expectedTotals(after, f!, t!, (r) => r.model === row.dims.model));
      }
      const stored = new Map((await a.readUsage(undefined, 100)).rows.map((r) => [r.recordKey, r]));
      expect(stored.get('litellm:a')).toMatchObject({
        costPusd: 45n,
        feePusd: 5n,
        chargePusd: 80n,
        priceVersion: 'v9',
      });
      expect(stored.get('litellm:c')).toMatchObject({ costPusd: 300n, priceVersion: 'v1' });
      expect(stored.get('litellm:e')).toMatchObject({ costPusd: 50n, priceVersion: 'v1' });
      expect(stored.get('litellm:f')).toMatchObject({ costPusd: 70n, priceVersion: 'v1' });
    });
  });
}
