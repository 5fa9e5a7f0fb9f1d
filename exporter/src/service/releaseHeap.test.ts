import { getHeapStatistics } from 'node:v8';
import { BATCH_HEAP_TRIMMER, HeapTrimmer, newSpaceBytes } from './releaseHeap';

const MB = 1024 * 1024;
/** Looks are taken by the test (`check`), between its steps, never by the timer. */
const OPTIONS = {
  checkMs: 3_600_000,
  quietBytes: MB,
  onlyWhenQuiet: true,
  garbageBytes: 16 * MB,
  idleNewSpaceBytes: Infinity,
};
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

  test('collects for the young generation twice at most while quiet, and again after the heap was busy', () => {
    // Whether a collection shrinks the young generation is V8's call (it does once allocation has been slow for
    // seconds: bench/README.md "Footprint"); what is the trimmer's is when it asks. With a bound of 0 the young
    // generation is always "large".
    trimmer = new HeapTrimmer({ ...OPTIONS, idleNewSpaceBytes: 0 });
    trimmer.start();
    expect(newSpaceBytes()).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) trimmer.check(); // one quiet stretch
    expect(trimmer.collections).toBe(1 + 2);
    const kept = burst(100_000); // ~7 MB: busy, and under the 16 MB of garbage that would be collected anyway
    trimmer.check();
    expect(trimmer.collections).toBe(3);
    for (let i = 0; i < 3; i++) trimmer.check(); // quiet again
    expect(kept.length).toBe(100_000);
    expect(trimmer.collections).toBe(3 + 2);
  });

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

  test('leaves a heap that V8 collected since the last look to V8, however close its size is to that look', () => {
    // Under a steady load the used heap saws up and down, so at some looks it is within quietBytes of the last
    // one by chance; here every look is (quietBytes: Infinity), and the young generation always "large".
    trimmer = new HeapTrimmer({ ...OPTIONS, quietBytes: Infinity, idleNewSpaceBytes: 0 });
    trimmer.start();
    let made = 0;
    for (let look = 0; look < 3; look++) {
      for (let i = 0; i < 20; i++) made += burst(20_000).length; // ~1 MB each, garbage at once: V8 collects
      trimmer.check();
    }
    expect(made).toBe(3 * 20 * 20_000);
    expect(trimmer.collections).toBe(1);
    trimmer.check(); // nothing allocated since the last look: quiet
    expect(trimmer.collections).toBe(2);
  });

  test('for a batch job, collects while busy too, once the heap grew 32 MB past what was live', () => {
    trimmer = new HeapTrimmer({ ...BATCH_HEAP_TRIMMER, checkMs: 3_600_000 });
    trimmer.start();
    const kept: object[][] = [burst(100_000)]; // ~7 MB more: busy, and under the bound
    trimmer.check();
    expect(trimmer.collections).toBe(1);
    for (let i = 0; i < 6; i++) kept.push(burst(200_000)); // ~60 MB more, live (whatever V8 collects meanwhile)
    trimmer.check();
    expect(trimmer.collections).toBe(2);
    trimmer.check(); // no growth since that collection
    expect(trimmer.collections).toBe(2);
    expect(kept.length).toBe(7);
  });
});
