/** What several benches measure with. */
import { readFileSync } from 'node:fs';

/** The median of `xs` (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A full garbage collection now: the bench runs with `node --expose-gc`, as its npm script says. */
export function collectGarbage(): void {
  if (!global.gc) throw new Error('run with node --expose-gc (the npm script of the bench does)');
  global.gc();
}

/**
 * CPU time so far (user + system), ms, from /proc (Linux; clock ticks of 10 ms): of the process `pid`, or with
 * `thread` of that one thread (the main thread's id is the process id).
 */
export function cpuMs(pid: number, thread?: number): number {
  // Fields after the parenthesised command name: state is the 3rd field, utime the 14th and stime the 15th.
  const fields = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
