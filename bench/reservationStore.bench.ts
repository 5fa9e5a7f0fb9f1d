/**
 * What open reservations cost the JavaScript heap and its full collections: the enforcer's store
 * (exporter/src/enforcement/reservations.ts: request ids in a byte arena, a hash table in typed arrays) against the
 * baseline measured in the same run, the ids as strings in a Map (what the store kept until session 16).
 *   npm run bench:reservations -- [--open N] [--rounds N]     (default 600,000 open, 5 rounds)
 * 600,000 is 2,000 allowed requests a second that no usage record settles, for the default 5 min TTL (LiteLLM's
 * logs carry another id than its guardrail call: docs/enforcement.md). Prints the median of the rounds: the heap
 * the open reservations hold once collected, how long a full collection of the process takes with them (V8's
 * marker visits every object on the heap; typed arrays' contents it does not), and the longest single insertion
 * while filling (a table that grows by rehashing all it holds stops that insertion's decision for as long).
 */
import { randomUUID } from 'node:crypto';
import { PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Reservations } from '../exporter/src/enforcement/reservations';
import { collectGarbage as gc, median } from './measure';

/** The covering budgets' keys, one array shared by every reservation (as the enforcer's coverings are). */
const KEYS = ['global/-/monthly', 'team/ml/daily', 'user/alice/monthly'];

/**
 * A fresh request id as the door reads it off the wire: one flat string (randomUUID's own string is built of
 * pieces, and would hold several times the bytes).
 */
const requestId = (): string => Buffer.from(randomUUID(), 'latin1').toString('latin1');

interface Store {
  name: string;
  /**
   * A store holding an open reservation for each of `ids`, and its slow insertions (slowInsertions).
   */
  fill(ids: readonly string[]): { held: unknown; slow: number[] };
}

/** Insertions that took longer than this are kept (start and end) to be told apart from GC pauses. */
const SLOW_MS = 0.1;

/** Runs `insert` for 0 .. n-1; the start and end (performance.now(), ms) of each one slower than SLOW_MS. */
function slowInsertions(n: number, insert: (i: number) => void): number[] {
  const slow: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    insert(i);
    const end = performance.now();
    if (end - t > SLOW_MS) slow.push(t, end);
  }
  return slow;
}

/**
 * The baseline: request id → slot in a Map and the id strings in an array by slot, as the store kept them; the
 * covered budgets in an array by slot and amounts in a typed array, as it still does.
 */
const stringsInAMap: Store = {
  name: 'ids in a Map (before)',
  fill(fresh) {
    const n = fresh.length;
    const slotOf = new Map<string, number>();
    const ids: string[] = [];
    const budgets: (readonly string[])[] = [];
    const amounts = new BigInt64Array(n);
    const slow = slowInsertions(n, (slot) => {
      const id = fresh[slot]!;
      slotOf.set(id, slot);
      ids.push(id);
      budgets.push(KEYS);
      amounts[slot] = 1_000_000n;
    });
    return { held: { slotOf, ids, budgets, amounts }, slow };
  },
};

const typedArrays: Store = {
  name: 'byte arena (now)',
  fill(fresh) {
    const r = new Reservations();
    const slow = slowInsertions(fresh.length, (i) => r.reserve(fresh[i]!, 1_000_000n, KEYS, Number.MAX_SAFE_INTEGER));
    return { held: r, slow };
  },
};

interface Figures {
  heapBytes: number;
  fullGcMs: number;
  /** The longest insertion that no GC pause overlapped: what the store's own growth stops a caller for. */
  longestInsertMs: number;
}

/** The longest of `slow` (start, end pairs) that none of `pauses` overlaps, ms. */
function longestApartFrom(slow: number[], pauses: PerformanceEntry[]): number {
  let longest = 0;
  for (let i = 0; i < slow.length; i += 2) {
    const [start, end] = [slow[i]!, slow[i + 1]!];
    if (!pauses.some((p) => p.startTime < end && p.startTime + p.duration > start))
      longest = Math.max(longest, end - start);
  }
  return longest;
}

async function measure(store: Store, open: number): Promise<Figures> {
  gc();
  const base = process.memoryUsage().heapUsed;
  // Fresh request ids (UUIDs, as Envoy's x-request-id), made before the fill so that it times insertions alone;
  // once filled they are let go, and the heap held counts those the store keeps.
  const ids = Array.from({ length: open }, requestId);
  const pauses: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => pauses.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const { held, slow } = store.fill(ids);
  ids.length = 0;
  await new Promise((resolve) => setTimeout(resolve, 50)); // the observer hears of pauses after the fill's turn
  observer.disconnect();
  const longestInsertMs = longestApartFrom(slow, pauses);
  gc();
  const heapBytes = process.memoryUsage().heapUsed - base;
  const fullGcs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    gc();
    fullGcs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  if (!held) throw new Error('unreachable: keeps the store alive through the collections');
  return { heapBytes, fullGcMs: median(fullGcs), longestInsertMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { open: { type: 'string', default: '600000' }, rounds: { type: 'string', default: '5' } },
  });
  const open = Number(values.open);
  const rounds = Number(values.rounds);
  const stores = [stringsInAMap, typedArrays];
  const results = new Map<string, Figures[]>(stores.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) for (const s of stores) results.get(s.name)!.push(await measure(s, open));
  const med = (name: string, key: keyof Figures) => median(results.get(name)!.map((f) => f[key]));
  gc();
  console.log(`median of ${rounds} rounds, ${open} open reservations`);
  console.log('store                      JS heap held, MB   full collection, ms   longest insertion, ms');
  const row = (name: string, f: Figures) =>
    console.log(
      `${name.padEnd(26)} ${(f.heapBytes / 1e6).toFixed(1).padStart(16)}   ${f.fullGcMs.toFixed(1).padStart(19)}   ` +
        f.longestInsertMs.toFixed(2).padStart(21)
    );
  for (const s of stores)
    row(s.name, {
      heapBytes: med(s.name, 'heapBytes'),
      fullGcMs: med(s.name, 'fullGcMs'),
      longestInsertMs: med(s.name, 'longestInsertMs'),
    });
  // No store: the full collection of the process alone, and the longest of as many empty insertions (what the
  // machine stops any code for: the floor under the other two).
  row('(no reservations)', {
    ...(await measure(
      { name: 'none', fill: (ids) => ({ held: true, slow: slowInsertions(ids.length, () => {}) }) },
      open
    )),
    heapBytes: 0,
  });
  const [before, now] = stores.map((s) => s.name) as [string, string];
  const ratio = (key: keyof Figures) => (med(before, key) / med(now, key)).toFixed(2);
  console.log(
    `ratio before / now: heap held ${ratio('heapBytes')}, full collection ${ratio('fullGcMs')}, ` +
      `longest insertion ${ratio('longestInsertMs')}`
  );
}

void main();
