/**
 * Keeps one metric family's series count bounded. The first `maxSeries` label sets get series of their own
 * for the life of the process; later ones fold their high-cardinality labels (user, api_key) into
 * `__other__`. Admission never changes once made, so every counter stays monotonic. Label sets are offered
 * in the order they first reached the ledger (metricTotals.ts), also when seeded at start, so a restart
 * admits the same ones and `__other__` does not shrink. The ledger keeps the exact per-user numbers; this
 * only protects Prometheus.
 */
export const OTHER = '__other__';

export class SeriesLimiter {
  private readonly admitted = new Set<string>();
  folded = 0;

  constructor(
    private readonly maxSeries: number,
    /** Positions, within a label tuple, of the labels folded on overflow. */
    private readonly foldPositions: readonly number[]
  ) {}

  /** The label values to expose for a tuple: itself if admitted, else with fold labels set to __other__. */
  admit(values: readonly string[], key: string): readonly string[] {
    if (this.admitted.has(key)) return values;
    if (this.admitted.size < this.maxSeries) {
      this.admitted.add(key);
      return values;
    }
    this.folded++;
    if (this.foldPositions.length === 0) return values;
    const out = [...values];
    for (const p of this.foldPositions) out[p] = OTHER;
    return out;
  }
}
