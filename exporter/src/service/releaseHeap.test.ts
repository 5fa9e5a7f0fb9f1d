import { getHeapStatistics } from 'node:v8';
import { HeapTrimmer, newSpaceBytes } from './releaseHeap';

const MB = 1024 * 1024;
/** Looks are taken by the test (`check`), between its steps, never by the timer. */
const OPTIONS = { checkMs: 3_600_000, quietBytes: MB, garbageBytes: 16 * MB, idleNewSpaceBytes: Infinity };
const used = () => getHeapStatistics().used_heap_size;

/** Objects of about 50 bytes each, as re-pricing's row objects are small and many. */
const burst = (n: number) => Array.from({ length: n }, (_, i) => ({ i, label: `user-${i}` }));

describe('HeapTrimmer', () => {
  let trimmer: HeapTrimmer | undefined;
  afterEach(() => trimmer?.stop());

  test('collects once at start, then the garbage of a burst once the heap is quiet', () => {
    trimmer = new HeapTrimmer(OPTIONS);
    trimmer.start();
    expect(trimmer.collections).toBe(1);
    // In a function of its own: a variable set to undefined can still hold the rows from a register of its frame.
    const withGarbage = ((t: HeapTrimmer) => {
      const rows = burst(1_000_000);
      t.check(); // grew since the last look: busy
      expect(rows.length).toBe(1_000_000);
      return used();
    })(trimmer);
    expect(trimmer.collections).toBe(1);
    trimmer.check(); // nothing allocated since: quiet, with the burst's garbage
    expect(trimmer.collections).toBe(2);
    expect(used()).toBeLessThan(withGarbage - OPTIONS.garbageBytes);
    trimmer.check(); // quiet, and nothing to give back
    expect(trimmer.collections).toBe(2);
  });

  test('gives back the young generation a burst grew, once the process has been quiet a while', async () => {
    trimmer = new HeapTrimmer({ ...OPTIONS, idleNewSpaceBytes: 4 * MB });
    trimmer.start();
    // Many short-lived objects: V8 grows its young generation to its most (32 MB) and keeps it.
    let kept = 0;
    for (let i = 0; i < 20; i++) kept += burst(200_000).length;
    expect(kept).toBe(4_000_000);
    trimmer.check(); // busy
    const grown = newSpaceBytes();
    expect(grown).toBeGreaterThan(4 * MB);
    // V8 shrinks it in a full collection only once allocation has been slow for seconds.
    await new Promise((r) => setTimeout(r, 6_000));
    trimmer.check();
    trimmer.check();
    expect(trimmer.collections).toBeGreaterThanOrEqual(2);
    expect(newSpaceBytes()).toBeLessThanOrEqual(4 * MB);
    const collections = trimmer.collections;
    trimmer.check(); // small and quiet: nothing more
    expect(trimmer.collections).toBe(collections);
  }, 20_000);

  test('leaves a heap that keeps growing to V8', () => {
    trimmer = new HeapTrimmer(OPTIONS);
    trimmer.start();
    const kept: object[][] = [];
    for (let i = 0; i < 10; i++) {
      kept.push(burst(200_000)); // ~10 MB more between two looks: never quiet
      trimmer.check();
    }
    expect(kept.length).toBe(10);
    expect(trimmer.collections).toBe(1);
  });
});
