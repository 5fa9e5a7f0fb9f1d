import { extname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { noRows, spooledFiles } from '../ledger/rows';
import type { FramedText } from '../parse/framer';
import type { Identity } from '../pricing/identityMap';
import type { PriceBook } from '../pricing/priceBook';
import type { PartResult, PartSettings, Pricing } from './batchPart';
import type { SourceContext } from './sourceContext';
import { startWorker } from './workerScript';

/** What the main thread sends the parse worker. */
export type ToWorker =
  | { kind: 'settings'; settings: PartSettings }
  | { kind: 'pricing'; book: PriceBook; identities: readonly Identity[]; defaultTier: string | undefined }
  | { kind: 'source'; id: number; context: SourceContext }
  | { kind: 'texts'; source: number; path: string; texts: readonly FramedText[]; seqBase: number }
  | { kind: 'cut' };

/** What it answers: a read done, or its part of the batch just cut. */
export type FromWorker = { kind: 'parsed' } | { kind: 'part'; part: PartResult };

/**
 * Reads the worker has not finished, beyond which the main thread parses a read itself. Small: it keeps the
 * worker fed while the main thread takes on what the worker cannot, so both threads parse when the log is
 * busy and memory stays bounded (a read is at most one 256 KB chunk of text).
 */
const MAX_QUEUED_READS = 4;

/**
 * The worker's V8 young generation, in MB (a third of it per semi-space: 8 MB of new space, against V8's
 * default of two 16 MB semi-spaces, which the worker filled with the first batch and kept for good). What it
 * allocates per line (JSON.parse's objects, the record) dies before the next read, so smaller semi-spaces mean
 * more scavenges that each copy next to nothing (bench/README.md "Footprint").
 */
export const WORKER_YOUNG_GENERATION_MB = 12;

/**
 * The main thread's side of the parse worker (parseWorker.ts). JSON.parse and the rest of the per-line
 * work cost more than everything else the main thread does, and DuckDB leaves part of a second core idle:
 * a second thread doing the same work as the main one is what lets ingestion keep up with a busy gateway.
 * Started on first use. The worker never keeps the process alive on its own: it is referenced only while a
 * cut waits for its answer.
 */
export class ParseThread {
  private worker: Worker | undefined;
  private queued = 0;
  private readonly waiting: { resolve: (p: PartResult) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;
  private closing = false;
  private readonly sourceIds = new Map<SourceContext, number>();
  private sent: Pricing | undefined;
  /** An empty part, for a batch the worker had no share of. */
  readonly noPart: PartResult;

  constructor(private readonly settings: PartSettings) {
    this.noPart = { rows: noRows(settings.format), rejects: [], newest: new Map(), skipped: new Map(), requestIds: [] };
  }

  /** Whether the worker takes another read now; if not, the caller does the work itself. */
  get ready(): boolean {
    return !this.failure && this.queued < MAX_QUEUED_READS;
  }

  parse(context: SourceContext, path: string, texts: readonly FramedText[], seqBase: number, pricing: Pricing): void {
    if (this.sent?.pricer !== pricing.pricer || this.sent.identities !== pricing.identities) {
      this.post({
        kind: 'pricing',
        book: pricing.pricer.book,
        identities: pricing.identities.identities,
        defaultTier: pricing.identities.defaultTier,
      });
      this.sent = pricing;
    }
    let source = this.sourceIds.get(context);
    if (source === undefined) {
      source = this.sourceIds.size;
      this.sourceIds.set(context, source);
      this.post({ kind: 'source', id: source, context });
    }
    this.post({ kind: 'texts', source, path, texts, seqBase });
    this.queued++;
  }

  /** The worker's part of the batch: everything sent since the last cut. */
  cut(): Promise<PartResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.worker) return Promise.resolve(this.noPart);
    const answer = new Promise<PartResult>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.post({ kind: 'cut' });
    this.worker.ref();
    return answer;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private post(m: ToWorker): void {
    this.start().postMessage(m);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(join(__dirname, 'parseWorker'), extname(__filename), {
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    w.unref();
    w.postMessage({ kind: 'settings', settings: this.settings } satisfies ToWorker);
    w.on('message', (m: FromWorker) => {
      if (m.kind === 'parsed') {
        this.queued--;
        return;
      }
      // Rows a full disk kept in memory (rows.ts RowFile) arrive as plain Uint8Arrays: Buffers again.
      const asBuffer = (c: Uint8Array) => Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      for (const f of spooledFiles(m.part.rows)) f.unwritten = f.unwritten.map(asBuffer);
      this.waiting.shift()!.resolve(m.part);
      if (!this.waiting.length) w.unref();
    });
    w.on('error', (e) => this.fail(new Error(`the parse worker failed: ${e.message}`)));
    w.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`the parse worker exited (code ${code})`));
    });
    this.worker = w;
    return w;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }
}
