import { createHash } from 'node:crypto';
import { Request, Response, Router } from 'express';
import { AuthConfig, pushRefusal } from '../auth/apiTokens';
import type { PushConfig, SourceConfig } from '../config/config';
import { LedgerError } from '../ledger/ledger';
import type { Logger } from '../log';
import type { ExporterMetrics, PushOutcome } from '../metrics/exporterMetrics';
import type { FramedText } from '../parse/framer';
import type { Pipeline } from '../pipeline/pipeline';
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

/** Recent pushes' answers kept to answer their retries (oldest forgotten first). */
const MAX_REMEMBERED_PUSHES = 10_000;

/** Refused records an answer lists one by one (all are counted, and all are in the reject file). */
const MAX_LISTED_REFUSALS = 20;

/** Longest `Idempotency-Key` taken. */
const MAX_KEY_LENGTH = 256;

/** What a push is answered, once it is committed. */
export interface PushAnswer {
  /** The push's id: its rejects name it as their file (`push:...`), in the reject file and the ledger. */
  pushId: string;
  received: number;
  stored: number;
  /** Records of requests the ledger already held (from an earlier push, a file, another replica). */
  repeats: number;
  skipped: number;
  refused: number;
  refusedByReason: Record<string, number>;
  refusals: { line: number; offset: number; reason: string; field: string | undefined; message: string }[];
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
}

/** A push read and decoded, not committed yet. */
interface PreparedPush {
  /** Its batch id, from its idempotency key: also what its rejects name as their file. */
  id: string;
  bodySha256: string;
  source: SourceContext;
  texts: FramedText[];
  /** Records the route left out before parsing (DecodedPush.skipped). */
  skipped: number;
  answer: DecodedPush['answer'];
}

interface Remembered {
  bodySha256: string;
  answer: Promise<PushAnswer>;
}

/**
 * The push endpoints: each route's body decoded into texts of one source, committed as one batch through the
 * pipeline (parse, price, ledger), answered only once committed. Exactly once by idempotency key: the
 * `Idempotency-Key` header, or the body's SHA-256. A retry of a push remembered here (the last
 * MAX_REMEMBERED_PUSHES) or the ledger's last batch is answered as the first time, nothing stored again; any
 * other repeat of a record stores nothing either (the ledger keeps one row per source key and request id).
 */
export class PushIngest {
  private readonly remembered = new Map<string, Remembered>();
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
    const { id, bodySha256 } = push;
    const earlier = this.remembered.get(id);
    if (earlier && earlier.bodySha256 !== bodySha256)
      return failed(
        422,
        'bad_request',
        'this Idempotency-Key was sent before with a different body; use a new key for a new push'
      );
    const first = !earlier;
    const pending = earlier?.answer ?? this.commit(route, push);
    if (first) this.remember(id, { bodySha256, answer: pending });
    try {
      const a = await pending;
      const replayed = a.replayed || !first;
      answer(200, replayed ? 'replayed' : 'stored', { ...a, replayed }, push.answer?.(a));
    } catch (e) {
      if (first) this.remembered.delete(id);
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
    return { id, bodySha256, source, texts: decoded.texts, skipped: decoded.skipped ?? 0, answer: decoded.answer };
  }

  private async commit(route: PushRoute, { id, source, texts, skipped: leftOut }: PreparedPush): Promise<PushAnswer> {
    const c = await this.d.pipeline.commitPush(source, { id, path: id, texts });
    const skipped = c.skipped + leftOut;
    if (!c.replayed) {
      const m = this.d.metrics;
      m.countPushRecords(route.endpoint, 'stored', c.stored);
      m.countPushRecords(route.endpoint, 'repeat', c.repeats);
      m.countPushRecords(route.endpoint, 'refused', c.refused.length);
      m.countPushRecords(route.endpoint, 'skipped', skipped);
    }
    const refusedByReason: Record<string, number> = {};
    for (const r of c.refused) refusedByReason[r.reason] = (refusedByReason[r.reason] ?? 0) + 1;
    return {
      pushId: id,
      received: c.received + leftOut,
      stored: c.stored,
      repeats: c.repeats,
      skipped,
      refused: c.refused.length,
      refusedByReason,
      refusals: c.refused.slice(0, MAX_LISTED_REFUSALS).map((r) => ({
        line: r.line,
        offset: r.byteOffset,
        reason: r.reason,
        field: r.field,
        message: r.message,
      })),
      replayed: c.replayed,
    };
  }

  private remember(id: string, entry: Remembered): void {
    if (this.remembered.size >= MAX_REMEMBERED_PUSHES) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(id, entry);
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
