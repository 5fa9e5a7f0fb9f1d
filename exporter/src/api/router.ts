import { Router, Request, Response, NextFunction } from 'express';
import { ApiToken, AuthConfig, authenticate } from '../auth/apiTokens';
import { budgetJson } from '../budgets/budgets';
import type { BudgetTracker } from '../budgets/budgetTracker';
import { type Ledger, LedgerUnavailableError } from '../ledger/ledger';
import {
  Dimension,
  DIMENSIONS,
  hasReconciliation,
  isDimension,
  NO_USAGE,
  remainder,
  Scope,
  sortMeasure,
  toReconciliationRow,
  toReportRow,
} from '../ledger/queries';
import type { Logger } from '../log';
import type { RepriceRunJson } from '../ledger/reprice';
import { toCsv } from '../csv';
import {
  ApiError,
  checkKnown,
  MAX_POINTS,
  parseBoolean,
  parseFilters,
  parseGroupBy,
  parseLimit,
  parseRange,
  parseSort,
  parseStep,
  Query,
} from './params';
import { statusReport } from './status';

export interface ApiDeps {
  ledger: Ledger;
  budgets: BudgetTracker;
  auth: () => AuthConfig;
  log: Logger;
  /**
   * Re-prices a range with the running book (POST /reprice): serve runs it, so that it writes the ledger it
   * holds and its counters follow. Absent: the endpoint answers 404.
   */
  reprice?: (range: { fromMs: number; toMs: number }) => Promise<RepriceRunJson>;
}

/** Seconds a caller is told to wait when the ledger's server cannot be reached. */
const UNAVAILABLE_RETRY_AFTER_S = 5;

const FILTERS = DIMENSIONS as readonly string[];
const BREAKDOWN_PARAMS = ['from', 'to', 'groupBy', 'sort', 'limit', 'other', 'format', ...FILTERS];
const SERIES_PARAMS = ['from', 'to', 'groupBy', 'step', ...FILTERS];
const VALUES_PARAMS = ['from', 'to', ...FILTERS];
const RECONCILIATION_PARAMS = ['from', 'to', 'format', ...FILTERS];

const DAY_SECONDS = 86_400;

/** `format=json` (default) or `format=csv`. */
function parseFormat(q: Query): 'json' | 'csv' {
  const format = q.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new ApiError(400, 'format: expected json or csv', 'format');
  return format;
}

/** A CSV download named for its report and range. */
function sendCsv(res: Response, report: string, range: { fromMs: number; toMs: number }, csv: string): void {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  res
    .type('text/csv')
    .setHeader(
      'Content-Disposition',
      `attachment; filename="tokenledger-${report}-${day(range.fromMs)}-${day(range.toMs)}.csv"`
    );
  res.send(csv);
}

/** The scope the authenticated token restricts to (undefined: admin or open API). */
function scopeOf(res: Response): Scope | undefined {
  return (res.locals.token as ApiToken | undefined)?.scope;
}

function query(req: Request): Query {
  return req.query as Query;
}

/** A scoped token sees only its own budgets: its team's or its user's. */
function budgetVisible(scope: Scope | undefined, b: { scope: string; subject: string }): boolean {
  if (!scope) return true;
  return Object.entries(scope).some(([dim, value]) => b.scope === dim && b.subject === value);
}

/**
 * The chargeback API, JSON under /api/v1. Every parameter is checked (a 400 names it); every value reaches
 * SQL only as a bound parameter; a scoped token's scope is ANDed into every query.
 */
export function chargebackApi(deps: ApiDeps): Router {
  const api = Router();

  api.use((req, res, next) => {
    const auth = deps.auth();
    if (auth.api === 'open') return next();
    const token = authenticate(req.headers.authorization, auth.tokens);
    if (!token) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="tokenledger"');
      return next(new ApiError(401, 'missing or invalid API token (send Authorization: Bearer <token>)'));
    }
    if (token.role === 'ingest')
      return next(new ApiError(403, 'an ingest token cannot read the API (it only pushes usage)'));
    res.locals.token = token;
    next();
  });

  api.get('/status', async (req, res) => {
    checkKnown(query(req), []);
    res.json(await statusReport(deps.ledger, scopeOf(res)));
  });

  api.get('/breakdown', async (req, res) => {
    const q = query(req);
    checkKnown(q, BREAKDOWN_PARAMS);
    const format = parseFormat(q);
    const range = parseRange(q);
    const groupBy = parseGroupBy(q);
    const sort = parseSort(q);
    const limit = parseLimit(q);
    const withOther = parseBoolean(q, 'other');
    const result = await deps.ledger.breakdown({
      ...range,
      groupBy,
      filters: parseFilters(q),
      scope: scopeOf(res),
      sort,
      limit,
    });
    const totalMeasure = sortMeasure(result.total, sort);
    const share = (m: number) => (totalMeasure > 0 ? Number((m / totalMeasure).toFixed(6)) : 0);
    const rows: Record<string, string | number>[] = result.rows.map((r) => ({
      ...toReportRow(r, r.dims),
      share: share(sortMeasure(r, sort)),
    }));
    if (withOther && limit !== undefined && result.rows.length === limit) {
      const rest = remainder(result.total, result.rows);
      if (rest.requests > 0)
        rows.push({
          ...toReportRow(rest, Object.fromEntries(groupBy.map((d) => [d, '__other__']))),
          share: share(sortMeasure(rest, sort)),
        });
    }
    const total = toReportRow(result.total);
    if (format === 'csv') {
      sendCsv(res, 'chargeback', range, toCsv(rows, [...groupBy, ...Object.keys(total), 'share']));
      return;
    }
    res.json({
      from: new Date(range.fromMs).toISOString(),
      to: new Date(range.toMs).toISOString(),
      groupBy,
      sort,
      rows,
      total,
    });
  });

  api.get('/timeseries', async (req, res) => {
    const q = query(req);
    checkKnown(q, SERIES_PARAMS);
    const range = parseRange(q);
    const stepSeconds = parseStep(q, range);
    const series = await deps.ledger.timeSeries({
      ...range,
      groupBy: parseGroupBy(q),
      filters: parseFilters(q),
      scope: scopeOf(res),
      stepSeconds,
    });
    res.json({
      from: new Date(range.fromMs).toISOString(),
      to: new Date(range.toMs).toISOString(),
      stepSeconds,
      series: series.map((s) => ({
        ...s.dims,
        points: s.points.map((p) => ({ time: new Date(p.timeMs).toISOString(), ...toReportRow(p) })),
      })),
    });
  });

  /**
   * Our cost against the gateway's own reported cost, per model and UTC day, over the requests that carry both;
   * with the requests only the gateway priced and those that reported no usage. Days with none of them are left
   * out. Per model over the range too, and the total.
   */
  api.get('/reconciliation', async (req, res) => {
    const q = query(req);
    checkKnown(q, RECONCILIATION_PARAMS);
    const format = parseFormat(q);
    const range = parseRange(q);
    const days = Math.ceil((range.toMs - range.fromMs) / 1000 / DAY_SECONDS);
    if (days > MAX_POINTS) throw new ApiError(400, `from: the range spans ${days} days; at most ${MAX_POINTS}`, 'from');
    const selection = { ...range, filters: parseFilters(q), scope: scopeOf(res) };
    const series = await deps.ledger.timeSeries({ ...selection, groupBy: ['model'], stepSeconds: DAY_SECONDS });
    const rows = series.flatMap((s) =>
      s.points
        .filter(hasReconciliation)
        .map((p) =>
          toReconciliationRow(p, { model: s.dims.model!, day: new Date(p.timeMs).toISOString().slice(0, 10) })
        )
    );
    if (format === 'csv') {
      sendCsv(
        res,
        'reconciliation',
        range,
        toCsv(rows, Object.keys(toReconciliationRow(NO_USAGE, { model: '', day: '' })))
      );
      return;
    }
    const byModel = await deps.ledger.breakdown({ ...selection, groupBy: ['model'], sort: 'cost', limit: undefined });
    res.json({
      from: new Date(range.fromMs).toISOString(),
      to: new Date(range.toMs).toISOString(),
      rows,
      models: byModel.rows
        .filter(hasReconciliation)
        .map((r) => toReconciliationRow(r, { model: r.dims.model! }))
        .sort((a, b) => (a.model! < b.model! ? -1 : 1)),
      total: toReconciliationRow(byModel.total),
    });
  });

  /**
   * Re-prices [from, to) with the running price book and records the run (`tokenledger reprice --serve`). A
   * write: an admin token only, and never on an open API (anyone could rewrite the ledger's costs).
   */
  api.post('/reprice', async (req, res) => {
    if (!deps.reprice) throw new ApiError(404, 'this server does not re-price');
    const token = res.locals.token as ApiToken | undefined;
    if (!token || token.scope !== undefined)
      throw new ApiError(
        403,
        token ? 'reprice needs an admin token' : 'reprice needs an admin token: configure auth.tokens (the API is open)'
      );
    const q = query(req);
    checkKnown(q, ['from', 'to']);
    res.json(await deps.reprice(parseRange(q)));
  });

  api.get('/dimensions/:dimension', async (req, res) => {
    const dimension = req.params.dimension as string;
    if (!isDimension(dimension))
      throw new ApiError(
        400,
        `dimension: unknown dimension ${JSON.stringify(dimension)}; expected ${DIMENSIONS.join(', ')}`,
        'dimension'
      );
    const q = query(req);
    checkKnown(q, VALUES_PARAMS);
    const values = await deps.ledger.dimensionValues(dimension as Dimension, {
      ...parseRange(q),
      filters: parseFilters(q),
      scope: scopeOf(res),
    });
    res.json({ dimension, values });
  });

  api.get('/budgets', async (req, res) => {
    checkKnown(query(req), []);
    const scope = scopeOf(res);
    const statuses = await deps.budgets.statuses();
    res.json({ budgets: statuses.filter((s) => budgetVisible(scope, s.budget)).map(budgetJson) });
  });

  // The router decodes `:dimension` before any handler runs; a malformed %-escape fails there.
  api.use('/dimensions', (err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    next(
      err instanceof URIError
        ? new ApiError(
            400,
            'dimension: not a valid percent-encoded name; expected ' + DIMENSIONS.join(', '),
            'dimension'
          )
        : err
    );
  });

  api.use((_req, _res, next) =>
    next(
      new ApiError(
        404,
        'no such endpoint; see /api/v1/status, /breakdown, /timeseries, /reconciliation, /dimensions/:dimension, /budgets, POST /reprice'
      )
    )
  );

  // Express 5 passes errors of async handlers here.
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) {
      res.status(err.status).json({ error: err.message, ...(err.parameter ? { parameter: err.parameter } : {}) });
      return;
    }
    if (err instanceof LedgerUnavailableError) {
      // The ledger's server is down or restarting: worth asking again soon. Its message stays in the log.
      deps.log.warn(`API: ${err.message}`);
      res.status(503).setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
      res.json({ error: 'the ledger cannot be reached; try again shortly' });
      return;
    }
    deps.log.error(`API error: ${(err as Error).stack ?? String(err)}`);
    res.status(500).json({ error: 'internal error; see the exporter log' });
  });
  return api;
}
