/**
 * bench:decide's probe inside the servers it measures (serve and the no-op), preloaded with
 * `NODE_OPTIONS=--require .../decideProbe.js`: the server's own event-loop delay (perf_hooks
 * monitorEventLoopDelay, 1 ms resolution) and its GC pauses (PerformanceObserver 'gc' entries). On SIGUSR2 it
 * writes what it saw since the last SIGUSR2 to `$TL_DECIDE_PROBE_DIR/<pid>.json` and starts again, so the bench
 * brackets each measured run with two signals. What it tells apart: a server whose loop is blocked (its own
 * delay p99 large: periodic work, GC) from requests queueing behind each other's CPU (delay small, latency large).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

/** What one server saw between two SIGUSR2s. */
export interface ProbeReport {
  /** Counts up with every report, so the reader knows a report is new. */
  seq: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcCount: number;
  gcMs: number;
  gcMaxMs: number;
  /** Of gcMs, mark-compact (major) pauses; the rest is scavenges (minor), incremental marking steps and weak callbacks. */
  gcMajorMs: number;
}

const dir = process.env.TL_DECIDE_PROBE_DIR;
if (dir) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gc = { count: 0, ms: 0, maxMs: 0, majorMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      // A 'gc' entry's detail.kind (Node 16+) tells the collector; PerformanceEntry's type does not declare it.
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.majorMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  let seq = 0;
  process.on('SIGUSR2', () => {
    const report: ProbeReport = {
      seq: ++seq,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
      gcCount: gc.count,
      gcMs: gc.ms,
      gcMaxMs: gc.maxMs,
      gcMajorMs: gc.majorMs,
    };
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(report));
    delay.reset();
    gc = { count: 0, ms: 0, maxMs: 0, majorMs: 0 };
  });
}
