/** What several benches measure with. */

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
