import { ExpositionPart, SeriesText } from './seriesText';
import { SeriesLimiter } from './seriesLimiter';
import { familyHeader, joinLabels, labelText, samplePrefix } from './textExposition';
import { USAGE_LABELS, UsageCell, UsageIncrement, UsageLabel } from './usageAggregate';

/** What one usage family counts, and how. */
export interface UsageFamilySpec<V> {
  name: string;
  help: string;
  /** Label text each of a label set's series adds (`bucket="output"`): one series per entry, [''] for one. */
  seriesLabels: readonly string[];
  zero: V;
  /** `value` of a label set's `k`-th series after a cell of the set grew by `added`. */
  add: (value: V, added: UsageIncrement, k: number) => V;
  format: (value: V) => string;
}

/**
 * One usage family (requests, tokens or cost) as its samples: each cell of the aggregate counts towards the
 * label set it is exposed under (its own labels the family shows, or, past the series cap, folded into
 * __other__), decided once, when the cell is created. Kept up to date change by change (it listens to the
 * aggregate through UsageExposition), so a render never walks the cells.
 */
export class UsageFamily<V> {
  readonly header: ExpositionPart;
  readonly series: SeriesText<V>;
  private readonly positions: number[];
  private readonly limiter: SeriesLimiter;
  /**
   * The first series of each cell's exposed label set: admission never changes once made. A Map, not a
   * WeakMap: cells live as long as the aggregate, and a WeakMap's entries cost every major GC more.
   */
  private readonly firstSeriesOfCell = new Map<UsageCell, number>();
  /** The first series of each exposed label set, by its values joined. */
  private readonly firstSeriesOfSet = new Map<string, number>();

  constructor(
    private readonly labels: readonly UsageLabel[],
    maxSeries: number,
    foldLabels: readonly UsageLabel[],
    private readonly spec: UsageFamilySpec<V>
  ) {
    this.header = { text: Buffer.from(familyHeader(spec.name, spec.help, 'counter')) };
    this.series = new SeriesText(spec.format);
    this.positions = labels.map((l) => USAGE_LABELS.indexOf(l));
    const foldAt = foldLabels.map((l) => labels.indexOf(l)).filter((i) => i >= 0);
    this.limiter = new SeriesLimiter(maxSeries, foldAt);
  }

  /** Cells folded into __other__ so far. */
  get foldedSets(): number {
    return this.limiter.folded;
  }

  cellCreated(cell: UsageCell): void {
    const values = this.positions.map((p) => cell.labels[p]!);
    const key = values.join('\u0000');
    const exposed = this.limiter.admit(values, key);
    const exposedKey = exposed === values ? key : exposed.join('\u0000');
    let first = this.firstSeriesOfSet.get(exposedKey);
    if (first === undefined) {
      const labels = labelText(this.labels, exposed);
      first = this.series.size;
      for (const extra of this.spec.seriesLabels)
        this.series.add(samplePrefix(this.spec.name, joinLabels(labels, extra)), this.spec.zero);
      this.firstSeriesOfSet.set(exposedKey, first);
    }
    this.firstSeriesOfCell.set(cell, first);
  }

  cellAdded(cell: UsageCell, added: UsageIncrement): void {
    const first = this.firstSeriesOfCell.get(cell)!;
    for (let k = 0; k < this.spec.seriesLabels.length; k++)
      this.series.set(first + k, this.spec.add(this.series.get(first + k), added, k));
  }
}
