import type { Ledger } from '../ledger/ledger';
import type { ExporterMetrics } from './exporterMetrics';

/**
 * Seeds the metrics with the ledger's totals for this node at start, so counters continue where they were
 * instead of restarting at zero (the most common complaint about gateway-side metrics), and the sum over
 * replicas sharing a ledger is the fleet's total.
 */
export async function seedMetricsFromLedger(ledger: Ledger, metrics: ExporterMetrics): Promise<void> {
  metrics.usage.addTotals(await ledger.metricTotals());
  for (const c of await ledger.counters()) {
    if (c.name === 'lines_read') metrics.linesRead.set(c.label, c.value);
    else if (c.name === 'lines_rejected') metrics.linesRejected.set(c.label, c.value);
    else if (c.name === 'lines_skipped') metrics.linesSkipped.set(c.label, c.value);
  }
  metrics.lastCheckpointMs = await ledger.lastCheckpointMs();
}
