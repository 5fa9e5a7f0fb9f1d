/**
 * What open reservations cost the JavaScript heap and its full collections: the enforcer's store
 * (exporter/src/enforcement/reservations.ts: request ids in a byte arena, a hash table in typed arrays) against the
 * baseline measured in the same run, the ids as strings in a Map (what the store kept until session 16).
 *   npm run bench:reservations -- [--open N] [--rounds N]     (default 600,000 open, 5 rounds)
 * 600,000 is 2,000 allowed requests a second that no usage record settles, for the default 5 min TTL (LiteLLM's
 * logs carry another id than its guardrail call: docs/enforcement.md). Prints the median of the rounds: the heap
 * the open reservations hold once collected, and how long a full collection of the process takes with them
 * (V8's marker visits every object on the heap; typed arrays' contents it does not).
 */
import { randomUUID } from 'node:crypto';
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
  /** A store holding `n` open reservations of fresh request ids (UUIDs, as Envoy's x-request-id). */
  fill(n: number): unknown;
}

/**
 * The baseline: request id → slot in a Map and the id strings in an array by slot, as the store kept them; the
 * covered budgets in an array by slot and amounts in a typed array, as it still does.
 */
const stringsInAMap: Store = {
  name: 'ids in a Map (before)',
  fill(n) {
    const slotOf = new Map<string, number>();
    const ids: string[] = [];
    const budgets: (readonly string[])[] = [];
    const amounts = new BigInt64Array(n);
    for (let slot = 0; slot < n; slot++) {
      const id = requestId();
      slotOf.set(id, slot);
      ids.push(id);
      budgets.push(KEYS);
      amounts[slot] = 1_000_000n;
    }
    return { slotOf, ids, budgets, amounts };
  },
};

const typedArrays: Store = {
  name: 'byte arena (now)',
  fill(n) {
    const r = new Reservations();
    for (let i = 0; i < n; i++) r.reserve(requestId(), 1_000_000n, KEYS, Number.MAX_SAFE_INTEGER);
    return r;
  },
};

interface Figures {
  heapBytes: number;
  fullGcMs: number;
}

function measure(store: Store, open: number): Figures {
  gc();
  const base = process.memoryUsage().heapUsed;
  const held = store.fill(open);
  gc();
  const heapBytes = process.memoryUsage().heapUsed - base;
  const pauses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    gc();
    pauses.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  if (!held) throw new Error('unreachable: keeps the store alive through the collections');
  return { heapBytes, fullGcMs: median(pauses) };
}

function main(): void {
  const { values } = parseArgs({
    options: { open: { type: 'string', default: '600000' }, rounds: { type: 'string', default: '5' } },
  });
  const open = Number(values.open);
  const rounds = Number(values.rounds);
  const stores = [stringsInAMap, typedArrays];
  const results = new Map<string, Figures[]>(stores.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) for (const s of stores) results.get(s.name)!.push(measure(s, open));
  const med = (name: string, key: keyof Figures) => median(results.get(name)!.map((f) => f[key]));
  gc();
  console.log(`median of ${rounds} rounds, ${open} open reservations`);
  console.log('store                      JS heap held, MB   full collection, ms');
  for (const s of stores)
    console.log(
      `${s.name.padEnd(26)} ${(med(s.name, 'heapBytes') / 1e6).toFixed(1).padStart(16)}   ${med(s.name, 'fullGcMs')
        .toFixed(1)
        .padStart(19)}`
    );
  const empty = measure({ name: 'none', fill: () => true }, 0);
  console.log(`${'(no reservations)'.padEnd(26)} ${'0.0'.padStart(16)}   ${empty.fullGcMs.toFixed(1).padStart(19)}`);
  const [before, now] = stores.map((s) => s.name) as [string, string];
  const ratio = (key: keyof Figures) => (med(before, key) / med(now, key)).toFixed(2);
  console.log(`ratio before / now: heap held ${ratio('heapBytes')}, full collection ${ratio('fullGcMs')}`);
}

main();
