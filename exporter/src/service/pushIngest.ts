import { createHash } from 'node:crypto';
import { Request, Response, Router } from 'express';
import { AuthConfig, pushRefusal } from '../auth/apiTokens';
import type { PushConfig, SourceConfig } from '../config/config';
import { LedgerError, PushReceipt } from '../ledger/ledger';
import type { Logger } from '../log';
import type { ExporterMetrics, PushOutcome } from '../metrics/exporterMetrics';
import type { FramedText } from '../parse/framer';
import type { Pipeline, PushCommit } from '../pipeline/pipeline';
import { SourceContext, sourceContext } from '../pipeline/sourceContext';
import { discardRest, readPushBody } from '../sources/push/pushBody';
import { PushAbortedError, PushRequestError } from '../sources/push/pushErrors';
import { otlpRoute } from '../sources/push/otlpRoute';
import { DecodedPush, formatRoute, PUSH_FORMATS, PushRoute, RouteAnswer } from '../sources/push/pushRoute';
import type { GatewayFormat } from '../types';

/** Every push endpoint serve answers: a new kind of sender is one more PushRoute here. */
export const PUSH_ROUTES: readonly PushRoute[] = [
  ...PUSH_FORMATS.map(formatRoute),
  otlpRoute('logs'),
  otlpRoute('traces'),
];

/** Seconds a pusher is told to wait when the ledger cannot commit. */
const UNAVAILABLE_RETRY_AFTER_S = 5;

/** How often receipts older than `push.remember` are forgotten, with the next push's commit. */
const FORGET_EVERY_MS = 60_000;

/** Longest `Idempotency-Key` taken. */
const MAX_KEY_LENGTH = 256;

/** What a push is answered, once it is committed: its receipt's counts (Ledger's PushReceipt). */
export interface PushAnswer extends Pick<
  PushReceipt,
  'received' | 'stored' | 'repeats' | 'skipped' | 'refused' | 'refusedByReason' | 'refusals'
> {
  /** The push's id: its rejects name it as their file (`push:...`), in the reject file and the ledger. */
  pushId: string;
  /** A retry of a push already committed: answered as it was then; nothing was stored again. */
  replayed: boolean;
}

export interface PushDeps {
  pipeline: Pipeline;
  metrics: ExporterMetrics;
  log: Logger;
  auth: () => AuthConfig;
  push: PushConfig;
  sources: readonly SourceConfig[];
  maxRecordBytes: number;
  /** Why pushes cannot be taken now (shutting down), or undefined. */
  unavailable: () => string | undefined;
  /** The clock pushes are committed and forgotten by; Date.now unless a test sets its own. */
  now?: () => number;
}

/** A push read and decoded, not committed yet. */
interface PreparedPush {
  /** Its batch id, from its idempotency key: also what its rejects name as their file. */
  id: string;
  bodySha256: string;
  source: SourceContext;
  texts: FramedText[];
  /** Records the route left out before parsing (DecodedPush.skipped). */
  leftOut: number;
  answer: DecodedPush['answer'];
}

/**
 * The push endpoints: each route's body decoded into texts of one source, committed as one batch through the
 * pipeline (parse, price, ledger), answered only once committed. Exactly once by idempotency key: the
 * `Idempotency-Key` header, or the body's SHA-256. The ledger keeps each push's receipt, with its body's
 * SHA-256, for `push.remember`: a retry within it, to this replica or another, after a restart or not, is
 * answered from the receipt as the first time, nothing stored or counted again (Pipeline.commitPush). A repeat
 * of a record in another push stores nothing either (the ledger keeps one row per source key and request id).
 */
export class PushIngest {
  /** When the next push's commit forgets the receipts older than `push.remember`. */
  private nextForgetMs = 0;
  /** Source contexts built once per (named source, format): the pipeline keeps a parser per context. */
  private readonly contexts = new Map<string, SourceContext>();

  constructor(private readonly d: PushDeps) {}

  router(routes: readonly PushRoute[] = PUSH_ROUTES): Router {
    const router = Router();
    for (const route of routes) router.post(route.path, (req, res, next) => this.handle(route, req, res).catch(next));
    const formats = routes
      .filter((r) => r.path.startsWith('/ingest/v1/'))
      .map((r) => r.path.slice('/ingest/v1/'.length));
    router.post('/ingest/v1/:format', (req, res) => {
      discardRest(req, this.d.push.maxBodyBytes);
      res.status(404).json({
        error: `no push endpoint for format ${JSON.stringify(req.params.format.slice(0, 40))}; expected one of ${formats.join(', ')}`,
      });
    });
    return router;
  }

  private async handle(route: PushRoute, req: Request, res: Response): Promise<void> {
    const request = { contentType: req.headers['content-type'] };
    // `own`: the answer of a route that speaks its own protocol (OTLP), sent as built: its Content-Type exactly,
    // with no charset added (the Collector compares it as a whole).
    const answer = (status: number, outcome: PushOutcome, body: object, own?: RouteAnswer): void => {
      this.d.metrics.countPushRequest(route.endpoint, outcome);
      if (!own) return void res.status(status).json(body);
      res.status(own.status);
      for (const [name, value] of Object.entries(own.headers)) res.setHeader(name, value);
      res.end(own.body);
    };
    const failed = (status: number, outcome: PushOutcome, error: string): void =>
      answer(status, outcome, { error }, route.failure?.(request, status, error));
    const refuse = (status: number, outcome: PushOutcome, error: string): void => {
      discardRest(req, this.d.push.maxBodyBytes);
      failed(status, outcome, error);
    };
    const fail = (e: Error): void => {
      this.d.log.error(`push to ${route.path} failed: ${e.stack ?? e.message}`);
      failed(500, 'error', 'the push could not be stored; see the exporter log');
    };
    const refusal = pushRefusal(req.headers.authorization, this.d.auth());
    if (refusal) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="tokenledger"');
      return refuse(refusal.status, refusal.status === 401 ? 'unauthorized' : 'forbidden', refusal.error);
    }
    const why = this.d.unavailable();
    if (why) {
      res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
      return refuse(503, 'unavailable', `${why}; nothing of this push was stored, send it again`);
    }
    let push: PreparedPush;
    try {
      push = await this.prepare(route, req);
    } catch (e) {
      if (e instanceof PushAbortedError) {
        this.d.metrics.countPushRequest(route.endpoint, 'aborted');
        req.destroy();
        return;
      }
      if (!(e instanceof PushRequestError)) return fail(e as Error);
      if (e.status === 400) return refuse(400, 'bad_request', e.message);
      if (e.status === 413) res.setHeader('Connection', 'close');
      return refuse(e.status, e.status === 413 ? 'too_large' : 'unsupported_encoding', e.message);
    }
    try {
      const c = await this.commit(route, push);
      if (c.receipt.bodySha256 !== push.bodySha256)
        return failed(
          422,
          'bad_request',
          'this Idempotency-Key was sent before with a different body; use a new key for a new push'
        );
      const a = answerOf(c);
      answer(200, c.replayed ? 'replayed' : 'stored', a, push.answer?.(a));
    } catch (e) {
      if (e instanceof LedgerError) {
        // Its message (the ledger's location, what failed) stays in the log, as the API's does.
        this.d.log.warn(`push to ${route.path} not stored: ${e.message}`);
        res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
        return failed(
          503,
          'unavailable',
          'the ledger cannot commit now; nothing of this push was stored, send it again'
        );
      }
      fail(e as Error);
    }
  }

  /** Reads, decodes and identifies a push: its source, texts, and id (from its idempotency key). */
  private async prepare(route: PushRoute, req: Request): Promise<PreparedPush> {
    const named = sourceParameter(req);
    const key = idempotencyKey(req);
    const body = await readPushBody(req, this.d.push.maxBodyBytes);
    const decoded = route.decode(
      body,
      { contentType: req.headers['content-type'] },
      { maxRecordBytes: this.d.maxRecordBytes }
    );
    const source = this.sourceFor(route, decoded.format, named);
    const bodySha256 = createHash('sha256').update(body).digest('hex');
    const id = `push:${createHash('sha256')
      .update(`${route.endpoint}\0${source.name}\0${key ?? bodySha256}`)
      .digest('hex')
      .slice(0, 32)}`;
    return { id, bodySha256, source, texts: decoded.texts, leftOut: decoded.skipped ?? 0, answer: decoded.answer };
  }

  private async commit(route: PushRoute, p: PreparedPush): Promise<PushCommit> {
    const atMs = (this.d.now ?? Date.now)();
    const c = await this.d.pipeline.commitPush(p.source, {
      id: p.id,
      path: p.id,
      texts: p.texts,
      bodySha256: p.bodySha256,
      leftOut: p.leftOut,
      atMs,
      ...this.retention(atMs),
    });
    if (c.counted) {
      const m = this.d.metrics;
      m.countPushRecords(route.endpoint, 'stored', c.receipt.stored);
      m.countPushRecords(route.endpoint, 'repeat', c.receipt.repeats);
      m.countPushRecords(route.endpoint, 'refused', c.receipt.refused);
      m.countPushRecords(route.endpoint, 'skipped', c.receipt.skipped);
    }
    return c;
  }

  /**
   * What a push committed at `nowMs` forgets: every receipt older than `push.remember`, at most once per
   * FORGET_EVERY_MS (a cheap delete with a commit under way). A receipt younger than the window is never
   * forgotten; an older one may answer a retry until then.
   */
  private retention(nowMs: number): { forgetBeforeMs?: number } {
    if (nowMs < this.nextForgetMs) return {};
    this.nextForgetMs = nowMs + FORGET_EVERY_MS;
    return { forgetBeforeMs: nowMs - this.d.push.rememberMs };
  }

  /**
   * The source a push is counted and deduplicated under: the configured source it names (`?source=`: its
   * mapping, key namespace and other_lines apply, as to its files' lines), or the route's own.
   */
  private sourceFor(route: PushRoute, format: GatewayFormat | 'auto', named: string | undefined): SourceContext {
    const cacheKey = `${route.endpoint}\0${named ?? ''}\0${format}`;
    let context = this.contexts.get(cacheKey);
    if (context) return context;
    if (named !== undefined) {
      const s = this.d.sources.find((x) => x.name === named);
      if (!s)
        throw new PushRequestError(
          400,
          `source: no configured source is named ${JSON.stringify(named)} (configured: ${this.d.sources.map((x) => x.name).join(', ')})`
        );
      if (format !== 'auto' && s.format !== 'auto' && s.format !== format)
        throw new PushRequestError(400, `source: ${named} reads format ${s.format}, not ${format}`);
      const parserFormat = format === 'auto' ? s.format : format;
      if (parserFormat === 'generic' && !s.mappings.generic)
        throw new PushRequestError(400, `source: ${named} has no mapping for format generic`);
      const base = sourceContext(s);
      context = { ...base, parser: { ...base.parser, format: parserFormat } };
    } else {
      const mappings = route.mappings ?? {};
      if (format === 'generic' && !mappings.generic)
        throw new PushRequestError(
          400,
          `format generic needs a field mapping: name a configured source that has one (?source=<name>)`
        );
      context = {
        name: route.defaultSource,
        parser: { format, mappings },
        keyNamespace: undefined,
        otherLines: 'reject',
      };
    }
    this.contexts.set(cacheKey, context);
    return context;
  }
}

/** A push's answer, from its receipt. */
function answerOf({ receipt: r, replayed }: PushCommit): PushAnswer {
  return {
    pushId: r.id,
    received: r.received,
    stored: r.stored,
    repeats: r.repeats,
    skipped: r.skipped,
    refused: r.refused,
    refusedByReason: r.refusedByReason,
    refusals: r.refusals,
    replayed,
  };
}

/** `?source=<name>`, the only query parameter a push takes. */
function sourceParameter(req: Request): string | undefined {
  for (const k of Object.keys(req.query))
    if (k !== 'source') throw new PushRequestError(400, `${k}: unknown parameter (a push takes only source)`);
  const source = req.query.source;
  if (source === undefined) return undefined;
  if (typeof source !== 'string' || !source) throw new PushRequestError(400, 'source: expected one source name');
  return source;
}

function idempotencyKey(req: Request): string | undefined {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !key.trim() || key.length > MAX_KEY_LENGTH)
    throw new PushRequestError(400, `Idempotency-Key: expected one key of 1 to ${MAX_KEY_LENGTH} characters`);
  return key.trim();
}
