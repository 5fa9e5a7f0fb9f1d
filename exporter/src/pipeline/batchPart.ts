import { createHash } from 'node:crypto';
import { EncodedRows, joinRows, RowFormat, UsageBatch } from '../ledger/rows';
import type { RejectedLine } from '../ledger/ledger';
import type { FramedText } from '../parse/framer';
import { LineParser } from '../parse/lineParser';
import type { IdentityMap } from '../pricing/identityMap';
import { FieldError } from '../parse/fieldError';
import type { Price, Pricer } from '../pricing/pricer';
import { isRejection, ParseRejection } from '../types';
import { redactedExcerpt } from './redact';
import type { SourceContext } from './sourceContext';

/** A source with the parser this thread built for it. */
export interface ParsingSource {
  context: SourceContext;
  parser: LineParser;
}

export const parsingSource = (context: SourceContext): ParsingSource => ({
  context,
  parser: new LineParser(context.parser),
});

export interface Pricing {
  pricer: Pricer;
  identities: IdentityMap;
}

/** How a thread makes its part of a batch: the same in both threads (parseThread.ts). */
export interface PartSettings {
  /** How the ledger wants rows encoded, and where (Ledger.rowFormat, Ledger.rowSpool). */
  format: RowFormat;
  spool: string;
  /**
   * Whether to keep the request ids of the records, for a listener of commits (enforcement's reservations): a
   * batch's ids are 125,000 strings that outlive the batch's reading, which `ingest` has no use for.
   */
  requestIds: boolean;
}

/** What one thread made of its share of a batch's lines. */
export interface PartResult {
  rows: EncodedRows;
  rejects: RejectedLine[];
  /** Lines of sources with `other_lines: ignore` that are not usage records, per source. */
  skipped: Map<string, number>;
  /** Newest record start per configured source, for the lag metric. */
  newest: Map<string, number>;
  /**
   * The gateway request ids of the part's records (when PartSettings.requestIds): a commit settles their
   * enforcement reservations.
   */
  requestIds: string[];
}

/** Both parts of a batch as one; rejects in the order read. */
export function joinParts(a: PartResult, b: PartResult): PartResult {
  const newest = new Map(a.newest);
  for (const [source, ms] of b.newest) if (ms > (newest.get(source) ?? -Infinity)) newest.set(source, ms);
  const rejects = [...a.rejects, ...b.rejects].sort((x, y) =>
    x.path === y.path ? x.byteOffset - y.byteOffset : x.path < y.path ? -1 : 1
  );
  const skipped = new Map(a.skipped);
  for (const [source, n] of b.skipped) skipped.set(source, (skipped.get(source) ?? 0) + n);
  return { rows: joinRows(a.rows, b.rows), rejects, newest, skipped, requestIds: [...a.requestIds, ...b.requestIds] };
}

/**
 * The per-line work: parse -> identity -> price -> encoded ledger row, or a reject. One thread's share of a
 * batch; the main thread and the parse worker each keep one (see parseThread.ts).
 */
export class BatchPart {
  private readonly usage: UsageBatch;
  private readonly rejects: RejectedLine[] = [];
  private readonly newest = new Map<string, number>();
  private readonly skipped = new Map<string, number>();
  private readonly requestIds: string[] = [];

  constructor(readonly settings: PartSettings) {
    this.usage = new UsageBatch(settings.format, settings.spool);
  }

  /** `seqBase`: the place of the first text among its batch's lines, so that of two repeats the first read is kept. */
  add(
    source: ParsingSource,
    path: string,
    texts: readonly FramedText[],
    seqBase: number,
    { pricer, identities }: Pricing
  ): void {
    const { name, keyNamespace } = source.context;
    let newest = this.newest.get(name) ?? -Infinity;
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i]!;
      let parsed = t.tooLong
        ? ({ reason: 'line_too_long', message: `line longer than the configured max_line_bytes` } as ParseRejection)
        : t.invalidUtf8At !== undefined
          ? ({
              reason: 'invalid_utf8',
              message: `byte ${t.invalidUtf8At} of the file is not valid UTF-8`,
            } as ParseRejection)
          : t.wrapperError !== undefined
            ? ({ reason: 'container_format', message: t.wrapperError } as ParseRejection)
            : source.parser.parse(t.text);
      let price: Price | undefined;
      if (!isRejection(parsed)) {
        identities.apply(parsed.record);
        try {
          price = pricer.price(parsed.record);
        } catch (e) {
          // A cost too large for the ledger refuses this line only (one reject), never its batch.
          if (!(e instanceof FieldError)) throw e;
          parsed = e.toRejection();
        }
      }
      if (isRejection(parsed)) {
        if (source.context.otherLines === 'ignore' && isOtherLine(t, parsed)) {
          this.skipped.set(name, (this.skipped.get(name) ?? 0) + 1);
          continue;
        }
        this.rejects.push({
          source: name,
          path,
          line: t.line,
          byteOffset: t.startOffset,
          byteLength: t.endOffset - t.startOffset,
          reason: parsed.reason,
          field: parsed.field,
          message: parsed.message,
          lineSha256: createHash('sha256').update(t.text).digest('hex'),
          excerpt: t.tooLong ? undefined : redactedExcerpt(t.text),
        });
        continue;
      }
      const r = parsed.record;
      if (r.startMs > newest) newest = r.startMs;
      if (this.settings.requestIds) this.requestIds.push(r.requestId);
      // Every field spelled out rather than `...r`: a spread copy costs several times a literal of one shape.
      this.usage.add(
        {
          requestId: r.requestId,
          startMs: r.startMs,
          durationMs: r.durationMs,
          user: r.user,
          apiKeyId: r.apiKeyId,
          apiKeyAlias: r.apiKeyAlias,
          team: r.team,
          tier: r.tier,
          model: r.model,
          modelRequested: r.modelRequested,
          baseModel: r.baseModel,
          provider: r.provider,
          status: r.status,
          httpStatus: r.httpStatus,
          tokens: r.tokens,
          serviceTier: r.serviceTier,
          speed: r.speed,
          inferenceGeo: r.inferenceGeo,
          toolCalls: r.toolCalls,
          gatewayCacheHit: r.gatewayCacheHit,
          usageReported: r.usageReported,
          reportedCostPusd: r.reportedCostPusd,
          source: keyNamespace ?? parsed.format,
          costPusd: price?.costPusd,
          feePusd: price?.feePusd,
          chargePusd: price?.chargePusd,
          pricedModel: price?.pricedModel,
          priceVersion: price ? pricer.book.version : undefined,
        },
        seqBase + i
      );
    }
    if (newest > -Infinity) this.newest.set(name, newest);
  }

  done(): PartResult {
    return {
      rows: this.usage.encoded(),
      rejects: this.rejects,
      newest: this.newest,
      skipped: this.skipped,
      requestIds: this.requestIds,
    };
  }
}

/**
 * Whether a refused text is not a usage record at all, rather than a broken one: a line that is not a JSON
 * object (a server's own log line, a banner), or a JSON object of no known format. A text that starts like
 * an object but does not parse (a record cut short), a usage record missing a field or with a bad value,
 * and a line too long or not UTF-8 stay rejects: those are usage that could not be read.
 */
function isOtherLine(t: FramedText, rejection: ParseRejection): boolean {
  if (rejection.reason === 'unrecognized_format') return true;
  return rejection.reason === 'invalid_json' && !t.text.trimStart().startsWith('{');
}
