import { getDefaultTimeRange, TimeRange } from '@grafana/data';
import type { DataSource } from '../datasource';
import type { Dimension } from '../types';

/** Filter suggestions: the dimension's values in the editor's time range (suggestions are optional: [] on error). */
export function suggester(datasource: DataSource, range: TimeRange = getDefaultTimeRange()) {
  return (dimension: Dimension): Promise<string[]> =>
    datasource.dimensionValues(dimension, { fromMs: range.from.valueOf(), toMs: range.to.valueOf() }).catch(() => []);
}
