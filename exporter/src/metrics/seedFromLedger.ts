import type { Ledger } from '../ledger/ledger';
import { metricTotals } from '../ledger/metricTotals';
import type { ExporterMetrics } from './exporterMetrics';

/**
 * Seeds the metrics with the ledger's totals at start, so counters continue where they were instead of
 * restarting at zero (the most common complaint about gateway-side metrics).
 */
export async function seedMetricsFromLedger(ledger: Ledger, metrics: ExporterMetrics): Promise<void> {
  metrics.usage.addTotals(await metricTotals((sql) => ledger.columns(sql), 'usage'));
  for (const c of await ledger.counters()) {
    if (c.name === 'lines_read') metrics.linesRead.set(c.label, c.value);
    else if (c.name === 'lines_rejected') metrics.linesRejected.set(c.label, c.value);
  }
  metrics.lastCheckpointMs = Number(
    (await ledger.scalar(`SELECT coalesce(epoch_ms(max(updated_at)), 0) FROM read_positions`)) ?? 0
  );
}
