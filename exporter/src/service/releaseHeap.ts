import { GCProfiler, getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's full collection, which `--expose-gc` puts on a context's global. */
type CollectGarbage = () => void;

let collect: CollectGarbage | undefined;

/**
 * Runs a full garbage collection now. The flag is set for the moment it takes to make a context with the
 * function, then cleared, so the process's own global never has a `gc` (Jest gets it the same way for
 * `--logHeapUsage`).
 */
export function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as CollectGarbage;
    setFlagsFromString('--no-expose-gc');
  }
  // Without options: V8's full, compacting collection (`{ type: 'major' }` left 80 of 83 MB of garbage here).
  collect();
}

const MB = 1024 * 1024;

export interface HeapTrimmerOptions {
  /** How often the heap is looked at. */
  checkMs: number;
  /** The heap is quiet when it grew less than this since the last look, and V8 did not collect in between. */
  quietBytes: number;
  /** Collects only once the heap is quiet (serve); a batch job (ingest) is never quiet, and collects anyway. */
  onlyWhenQuiet: boolean;
  /** Collected when quiet (or not, see onlyWhenQuiet) and this much above what was live after the last collection here. */
  garbageBytes: number;
  /** Collected (twice at most) when quiet and V8's young generation holds more than this (see HeapTrimmer). */
  idleNewSpaceBytes: number;
}

/**
 * Every 5 s; quiet: under 1 MB allocated since; 16 MB of garbage at least (a full collection takes ~50 ms); a
 * young generation above 4 MB (V8 starts it at 1 MB, and grows it to 32 MB under a burst of allocation).
 */
export const HEAP_TRIMMER_DEFAULTS: HeapTrimmerOptions = {
  checkMs: 5_000,
  quietBytes: MB,
  onlyWhenQuiet: true,
  garbageBytes: 16 * MB,
  idleNewSpaceBytes: 4 * MB,
};

/**
 * For a batch job (`tokenledger ingest`): every 2 s, a collection once 32 MB of garbage piled up, busy or not. The
 * main thread parses at tens of thousands of lines a second, and objects alive at a scavenge (a read's lines, a
 * commit's results) move to the old space, which V8 collects only when it has grown by a factor of what was live:
 * its heap peaked anywhere from 60 to 100 MB from one run to the next (bench/README.md "Footprint"). A collection
 * takes ~20 ms, about once per batch.
 */
export const BATCH_HEAP_TRIMMER: HeapTrimmerOptions = {
  checkMs: 2_000,
  quietBytes: MB,
  onlyWhenQuiet: false,
  garbageBytes: 32 * MB,
  idleNewSpaceBytes: Infinity,
};

/** How many collections a quiet stretch gets for the young generation alone. */
const NEW_SPACE_TRIES = 2;

/** The memory V8's young generation holds (its two semi-spaces). */
export const newSpaceBytes = (): number =>
  getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0;

/**
 * Gives back the garbage of a burst of work once the process goes quiet. V8 collects its old space when
 * allocation fills it, never because time passed: a serve that went idle after a burst (its start: seeding,
 * re-pricing every unpriced record in chunks of row objects, rendering the usage series; later a reload or a
 * burst of API queries) kept that burst's garbage for as long as it ran (bench/README.md "Footprint": 1M
 * records, 167,000 of them unpriced, an idle serve held 338 MB of RSS, 234 MB after one full collection). So
 * the heap is looked at now and then, and collected once when it has stopped growing with garbage in it.
 * Under load the heap keeps changing, nothing is forced, and V8 collects as it always does.
 *
 * The young generation is V8's to size: it grows to 32 MB under a burst and shrinks only in a full collection
 * that finds allocation slow, which an idle process never runs on its own. So a quiet stretch also gets a
 * collection (at most NEW_SPACE_TRIES, until the heap is busy again) while the young generation is large:
 * 32 MB of RSS back in an idle serve (bench/README.md "Footprint", session 10).
 */
export class HeapTrimmer {
  private timer: NodeJS.Timeout | undefined;
  private lastUsed = 0;
  private liveAfterCollection = 0;
  /** Collections for the young generation alone in this quiet stretch. */
  private newSpaceTries = 0;
  /** Collections this trimmer ran. */
  collections = 0;
  /**
   * V8's own collections since the last look (our own left out). A heap whose size is about the same at two looks
   * is not quiet when V8 collected in between: under a steady load (decisions, 2,000 a second) the used heap saws
   * up and down by megabytes and matched the last look's within quietBytes by chance, and a full collection of
   * 65-118 ms stopped serve in the middle of it (bench/README.md "Decisions", session 11).
   */
  private readonly gcs = new GCProfiler();

  constructor(private readonly o: HeapTrimmerOptions = HEAP_TRIMMER_DEFAULTS) {}

  /** Collects now (call it after the burst of a start), then whenever the heap goes quiet with garbage in it. */
  start(): void {
    this.gcs.start();
    this.collect();
    this.timer = setInterval(() => this.check(), this.o.checkMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.gcs.stop();
  }

  /** One look at the heap (every `checkMs` once started). */
  check(): void {
    const used = getHeapStatistics().used_heap_size;
    const collectedSince = this.gcs.stop()?.statistics.length ?? 0;
    this.gcs.start();
    const quiet = collectedSince === 0 && Math.abs(used - this.lastUsed) < this.o.quietBytes;
    // A collection of V8's own since the last look can leave the heap below what was live after ours.
    this.liveAfterCollection = Math.min(this.liveAfterCollection, used);
    this.lastUsed = used;
    if (!quiet) {
      this.newSpaceTries = 0;
      if (this.o.onlyWhenQuiet) return;
    }
    if (used - this.liveAfterCollection > this.o.garbageBytes) this.collect();
    else if (quiet && this.newSpaceTries < NEW_SPACE_TRIES && newSpaceBytes() > this.o.idleNewSpaceBytes) {
      this.newSpaceTries++;
      this.collect();
    }
  }

  private collect(): void {
    this.gcs.stop();
    collectGarbage();
    this.gcs.start();
    this.collections++;
    this.lastUsed = this.liveAfterCollection = getHeapStatistics().used_heap_size;
  }
}
