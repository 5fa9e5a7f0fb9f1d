import { picoToUsdNumber } from '../money';
import type { ModelReconciliation } from '../ledger/metricTotals';
import { ExpositionPart, PendingPart } from './seriesText';
import type { MetricsConfig } from './exporterMetrics';
import { familyHeader, formatValue, joinLabels, labelText, sampleLine } from './textExposition';
import { UsageFamily, UsageFamilySpec } from './usageFamily';
import {
  LATENCY_BUCKETS,
  UsageAggregate,
  UsageCell,
  UsageIncrement,
  UsageLabel,
  UsageListener,
} from './usageAggregate';

/** Bucket label values of tokenledger_tokens_total, in BUCKETS order. */
export const TOKEN_BUCKET_LABELS = ['input_uncached', 'cache_read', 'cache_write', 'output'];

/** The usage families' exposition as of one version of the aggregate. */
export interface RenderedUsage {
  version: number;
  parts: ExpositionPart[];
}

/**
 * A render works in slices of about this many ms, yielding the event loop (where the follower reads and
 * batches commit) between them: each chunk takes well under a millisecond, so no slice holds it much longer.
 */
export const SLICE_MS = 8;
/**
 * Renders follow each other at least this many ms apart, and at least RENDER_SHARE_DIVISOR times the main
 * thread's time the last one took: however often batches commit, renders take at most a tenth of the thread.
 */
const MIN_RENDER_INTERVAL_MS = 100;
const RENDER_SHARE_DIVISOR = 10;

const yieldToEventLoop = () => new Promise<void>((resolveYield) => setImmediate(resolveYield));

/**
 * The usage families' text (the bulk of a scrape, tens of thousands of samples at fleet cardinality), kept
 * up to date with the aggregate change by change and rendered off the hot path: only the chunks of samples
 * that changed since the last render are rendered again, in slices, and until a render is complete scrapes
 * get the last complete text (only the very first scrape waits for one). Once scraped, every change of the
 * totals (a committed batch, a re-pricing) starts a render, so the text a scrape gets is at most one render
 * (and MIN_RENDER_INTERVAL_MS) old.
 */
export class UsageExposition implements UsageListener {
  private readonly requests: UsageFamily<number>;
  private readonly tokens: UsageFamily<number>;
  private readonly cost: UsageFamily<bigint>;
  private published: RenderedUsage | undefined;
  private rendering: Promise<RenderedUsage> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextRenderMs = 0;
  private scraped = false;

  constructor(
    private readonly usage: UsageAggregate,
    config: MetricsConfig,
    /** How long a slice of a render may run before it yields (SLICE_MS; tests yield before every chunk). */
    private readonly sliceMs = SLICE_MS
  ) {
    const family = <V>(labels: UsageLabel[], spec: UsageFamilySpec<V>) =>
      new UsageFamily(labels, config.maxSeries, config.foldLabels, spec);
    this.requests = family(config.labels.requests, {
      name: 'tokenledger_requests_total',
      help: 'LLM requests recorded in the ledger, failed ones included.',
      seriesLabels: [''],
      zero: 0,
      add: (v, added) => v + added.requests,
      format: formatValue,
    });
    this.tokens = family(config.labels.tokens, {
      name: 'tokenledger_tokens_total',
      help: 'Tokens recorded in the ledger, by disjoint bucket (input_uncached, cache_read, cache_write, output; reasoning is inside output).',
      seriesLabels: TOKEN_BUCKET_LABELS.map((b) => labelText(['bucket'], [b])),
      zero: 0,
      add: (v, added, k) => v + added.tokens[k]!,
      format: formatValue,
    });
    this.cost = family(config.labels.cost, {
      name: 'tokenledger_cost_usd_total',
      help: 'Provider list cost of the recorded requests in USD (exact in the ledger; a float here). Unpriced requests add nothing until re-priced.',
      seriesLabels: [''],
      zero: 0n,
      add: (v, added) => v + added.costPusd,
      format: (pico) => formatValue(picoToUsdNumber(pico)),
    });
    usage.listen(this);
  }

  cellCreated(cell: UsageCell): void {
    this.requests.cellCreated(cell);
    this.tokens.cellCreated(cell);
    this.cost.cellCreated(cell);
  }

  cellAdded(cell: UsageCell, added: UsageIncrement): void {
    this.requests.cellAdded(cell, added);
    this.tokens.cellAdded(cell, added);
    this.cost.cellAdded(cell, added);
  }

  changed(): void {
    if (this.scraped) this.schedule();
  }

  /** The last complete text; the first call waits for one. Starts a render when the totals changed since. */
  current(): Promise<RenderedUsage> {
    this.scraped = true;
    if (!this.published) return this.start();
    if (this.published.version !== this.usage.version) this.schedule();
    return Promise.resolve(this.published);
  }

  private schedule(): void {
    // A render running schedules the next one when it ends, if the totals changed meanwhile.
    if (this.rendering || this.timer) return;
    // Never at once, even when due: a change can be several calls in a row (a re-pricing adds each record's
    // cost), and a render started by the first would show it half done.
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        // Nobody waits for this render: a failure shows on the next scrape, which renders afresh (see start).
        this.start().catch(() => undefined);
      },
      Math.max(0, this.nextRenderMs - Date.now())
    );
    this.timer.unref();
  }

  private start(): Promise<RenderedUsage> {
    this.rendering ??= this.render().then(
      (rendered) => {
        this.published = rendered;
        this.rendering = undefined;
        if (rendered.version !== this.usage.version) this.schedule();
        return rendered;
      },
      (e: unknown) => {
        // No stale text is served after a failed render: the next scrape renders again and gets the error.
        this.published = undefined;
        this.rendering = undefined;
        throw e;
      }
    );
    return this.rendering;
  }

  /**
   * Renders the text of this moment: takes the chunks as they are now and renders the small families at once,
   * then renders the changed chunks in slices. Scrapes get what the renders started by current() publish.
   */
  async render(): Promise<RenderedUsage> {
    const version = this.usage.version;
    const pending: PendingPart[] = [];
    for (const f of [this.requests, this.tokens, this.cost]) pending.push(f.header, ...f.series.snapshot());
    pending.push({ text: Buffer.from(this.renderSmallFamilies()) });
    const parts: ExpositionPart[] = [];
    let busyMs = 0;
    let sliceStart = performance.now();
    for (const p of pending) {
      if (typeof p !== 'function') {
        parts.push(p);
        continue;
      }
      if (performance.now() - sliceStart >= this.sliceMs) {
        busyMs += performance.now() - sliceStart;
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      parts.push(p());
    }
    busyMs += performance.now() - sliceStart;
    this.nextRenderMs = Date.now() + Math.max(MIN_RENDER_INTERVAL_MS, busyMs * RENDER_SHARE_DIVISOR);
    return { version, parts };
  }

  /**
   * Requests without reported usage, and the gateway's own cost against ours, by model (#16): the difference of
   * the two cost counters is where the price book and the gateway disagree (the API's /reconciliation has it
   * per day, exactly).
   */
  private renderReconciliation(): string[] {
    const out: string[] = [];
    const families = [
      {
        name: 'tokenledger_unreported_usage_requests_total',
        help: 'Requests whose log reported no usage (interrupted streams, providers that omit it), by model: left unpriced, their tokens unknown.',
        value: (r: ModelReconciliation) => r.unreportedRequests,
      },
      {
        name: 'tokenledger_gateway_compared_requests_total',
        help: "Requests that carry both the gateway's own reported cost and a price from the price book, by model.",
        value: (r: ModelReconciliation) => r.gatewayRequests,
      },
      {
        name: 'tokenledger_gateway_reported_cost_usd_total',
        help: "The gateway's own reported cost of the compared requests in USD, by model (LiteLLM response_cost, Kong's cost).",
        value: (r: ModelReconciliation) => picoToUsdNumber(r.gatewayCostPusd),
      },
      {
        name: 'tokenledger_gateway_compared_cost_usd_total',
        help: "TokenLedger's cost of the compared requests in USD, by model: less tokenledger_gateway_reported_cost_usd_total, the disagreement with the gateway.",
        value: (r: ModelReconciliation) => picoToUsdNumber(r.gatewayOursPusd),
      },
    ];
    for (const f of families) {
      out.push(familyHeader(f.name, f.help, 'counter'));
      for (const [model, r] of this.usage.reconciliation)
        out.push(sampleLine(f.name, labelText(['model'], [model]), f.value(r)));
    }
    return out;
  }

  /** The families with a few samples per model, and the folding gauge: rendered whole, they are small. */
  private renderSmallFamilies(): string {
    const out: string[] = [];
    const duration = 'tokenledger_request_duration_seconds';
    out.push(familyHeader(duration, 'Request duration as the gateway logged it, by model.', 'histogram'));
    for (const [model, l] of this.usage.latency) {
      const m = labelText(['model'], [model]);
      LATENCY_BUCKETS.forEach((le, i) =>
        out.push(sampleLine(`${duration}_bucket`, joinLabels(labelText(['le'], [String(le)]), m), l.buckets[i]!))
      );
      out.push(sampleLine(`${duration}_bucket`, joinLabels('le="+Inf"', m), l.count));
      out.push(sampleLine(`${duration}_sum`, m, l.sumSeconds));
      out.push(sampleLine(`${duration}_count`, m, l.count));
    }
    const unpriced = 'tokenledger_unpriced_requests_total';
    out.push(familyHeader(unpriced, 'Requests whose model had no price when they were recorded, by model.', 'counter'));
    for (const [model, n] of this.usage.unpriced) out.push(sampleLine(unpriced, labelText(['model'], [model]), n));
    out.push(...this.renderReconciliation());
    const folded = 'tokenledger_folded_label_sets';
    out.push(
      familyHeader(
        folded,
        'Label sets folded into __other__ in this exposition because a family reached its series cap.',
        'gauge'
      )
    );
    for (const [family, f] of [
      ['requests', this.requests],
      ['tokens', this.tokens],
      ['cost', this.cost],
    ] as const)
      out.push(sampleLine(folded, labelText(['family'], [family]), f.foldedSets));
    return out.join('');
  }
}
