import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_METRICS_CONFIG, MetricsConfig } from '../metrics/exporterMetrics';
import { USAGE_LABELS, UsageLabel } from '../metrics/usageAggregate';
import { CANONICAL_FIELDS, CanonicalField, compileFieldSpec, FieldSpecInput, Mapping } from '../parse/mapping';
import { PRESETS } from '../parse/presets';
import { CONTAINER_MODES, ContainerMode } from '../parse/containerLog';
import type { PrometheusSourceOptions } from '../sources/prometheusSource';
import { ApiToken, AuthConfig, TOKEN_ROLES } from '../auth/apiTokens';
import {
  BUDGET_SCOPES,
  Budget,
  BudgetScope,
  ENFORCE_MODES,
  FAIL_POLICIES,
  NOT_ENFORCED,
  THRESHOLD_NAMES,
} from '../budgets/budgets';
import { DEFAULT_ENFORCEMENT, EnforcementSettings, parseDuration, TokenEstimate } from '../enforcement/settings';
import { isValidTimeZone, PERIODS } from '../budgets/period';
import { decimalToPico, parseDecimal } from '../money';
import type { Identity } from '../pricing/identityMap';
import { validatePattern } from '../sources/glob';
import type { GatewayFormat } from '../types';
import { parseIsoTime } from '../isoTime';
import type { LedgerSpec } from '../ledger/open';
import { readLedgerSpec, readNode, readRetentionMonths } from './ledgerConfig';
import { ConfigError, ConfigReader } from './reader';

export const FORMATS = ['auto', 'litellm', 'kong', 'envoy', 'otel', 'generic'] as const;
export type FormatOption = (typeof FORMATS)[number];

export interface SourceConfig {
  name: string;
  /** File patterns; empty for stdin. */
  paths: string[];
  stdin: boolean;
  format: FormatOption;
  mappings: Partial<Record<GatewayFormat, Mapping>>;
  keyNamespace: string | undefined;
  startAt: 'beginning' | 'end';
  /** Most files followed at once (see FollowerOptions.maxFiles). */
  maxFiles: number;
  /** What a line that is not a usage record is: a reject (the default), or expected noise, counted as skipped. */
  otherLines: OtherLines;
  /**
   * The container log wrapper of its files (CRI or Docker json-file, unwrapped; see parse/containerLog.ts),
   * `none`, or `auto` (the default): decided per file from its first line.
   */
  container: ContainerMode;
  /** Read from Prometheus' counters instead of files (Kuadrant's Limitador): see sources/prometheusSource.ts. */
  prometheus: PrometheusConfig | undefined;
}

/** A `prometheus:` source as configured: what its reader needs, but for what serve gives it. */
export type PrometheusConfig = Omit<PrometheusSourceOptions, 'source' | 'clock' | 'maxStepsPerPoll' | 'onError'>;

export const OTHER_LINES = ['reject', 'ignore'] as const;
export type OtherLines = (typeof OTHER_LINES)[number];

export interface Config {
  file: string;
  ledger: LedgerSpec;
  /** This replica's name, kept on every row it stores. */
  node: string;
  /** Whole months kept besides the current one; undefined keeps everything. */
  retentionMonths: number | undefined;
  rejectsFile: string;
  priceFiles: string[];
  litellmPricesEffectiveFromMs: number | undefined;
  identities: Identity[];
  defaultTier: string | undefined;
  listen: { host: string; port: number };
  pollIntervalMs: number;
  rotateWaitMs: number;
  batchLines: number;
  maxLineBytes: number;
  sources: SourceConfig[];
  metrics: MetricsConfig;
  /** Time zone of budget periods (calendar days, weeks, months). */
  timeZone: string;
  budgets: Budget[];
  /** The `enforcement:` section: reservations, staleness and cost estimates of the decision endpoint. */
  enforcement: EnforcementSettings;
  /** `enforcement.grpc_listen`: where the Envoy ext_authz gRPC door listens; undefined: no gRPC door. */
  enforcementGrpcListen: { host: string; port: number } | undefined;
  auth: AuthConfig;
  /** Reload prices, identities, budgets and tokens when the config file changes (as on SIGHUP). */
  watchConfig: boolean;
  /** The push endpoints on `listen` (docs/push.md). */
  push: PushConfig;
}

export interface PushConfig {
  /** Largest push body, as sent and once decompressed: beyond it a push is answered 413. */
  maxBodyBytes: number;
  /**
   * `push.remember`: how long the ledger keeps a push's receipt, answering its retries as the first time
   * (docs/push.md); a retry later than that is a repeat of its records.
   */
  rememberMs: number;
}

export const DEFAULTS = {
  listen: '127.0.0.1:9464',
  pollIntervalMs: 500,
  rotateWaitMs: 5000,
  // At least DuckDB's row group (122,880 rows): a full batch is then written to the ledger file directly,
  // not through the write-ahead log and again at the checkpoint.
  batchLines: 125000,
  maxLineBytes: 8 * 1024 * 1024,
  pushMaxBodyBytes: 10 * 1024 * 1024,
  pushRememberMs: 24 * 3_600_000,
};

function readPush(r: ConfigReader | undefined): PushConfig {
  if (!r) return { maxBodyBytes: DEFAULTS.pushMaxBodyBytes, rememberMs: DEFAULTS.pushRememberMs };
  const push = {
    maxBodyBytes: r.integer('max_body_bytes', DEFAULTS.pushMaxBodyBytes, 1024),
    rememberMs: readDuration(r, 'remember', DEFAULTS.pushRememberMs),
  };
  r.done();
  return push;
}

/** `host:port`, `[v6]:port` or a bare port; `fail` gets what was expected (the caller says what it got). */
export function parseListen(text: string, fail: (expected: string) => never): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) fail('host:port such as 127.0.0.1:9464 (port 0 to 65535)');
  return { host: m![1] || '127.0.0.1', port };
}

function readMapping(r: ConfigReader, key: string, base: Mapping | undefined): Mapping | undefined {
  const m = r.child(key);
  if (!m) return undefined;
  const fields: Mapping['fields'] = { ...(base?.fields ?? {}) };
  for (const k of m.keys()) {
    if (k === 'time_unit' || k === 'input_tokens_include_cache') continue;
    const field = snakeToCamel(k) as CanonicalField;
    if (!CANONICAL_FIELDS.includes(field))
      m.unknownKey(k, [...CANONICAL_FIELDS.map(camelToSnake), 'time_unit', 'input_tokens_include_cache']);
    try {
      fields[field] = compileFieldSpec(m.raw(k) as FieldSpecInput);
    } catch (e) {
      throw new ConfigError(`${r.file}: ${r.where}.${key}.${k}: ${(e as Error).message}`);
    }
  }
  const timeUnit = m.oneOf('time_unit', ['auto', 's', 'ms', 'iso'], base?.timeUnit ?? 'auto');
  const inputTokensIncludeCache = m.boolean('input_tokens_include_cache', base?.inputTokensIncludeCache ?? true);
  m.done();
  if (!base) {
    if (!fields.startTime)
      m.fail('start_time', 'a JSON path (the generic mapping needs start_time and model)', undefined);
    if (!fields.model) m.fail('model', 'a JSON path (the generic mapping needs start_time and model)', undefined);
  }
  return { fields, timeUnit, inputTokensIncludeCache };
}

const snakeToCamel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const camelToSnake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** How a prometheus source's records (sources/prometheusSource.ts, StepRecord) are read. */
const PROMETHEUS_MAPPING: Mapping = {
  fields: Object.fromEntries(
    (
      [
        ['requestId', 'request_id'],
        ['startTime', 'start_time'],
        ['user', 'user'],
        ['tier', 'tier'],
        ['model', 'model'],
        ['usage', 'usage'],
      ] as const
    ).map(([field, path]) => [field, compileFieldSpec(path)])
  ),
  timeUnit: 'ms',
  inputTokensIncludeCache: true,
};

/** Files one source follows at most: each holds an open descriptor until it is rotated away or deleted. */
const DEFAULT_MAX_FILES = 10_000;

/** `30s`, `1m`, `5m`, `1h`: a duration in milliseconds. */
function duration(r: ConfigReader, key: string, fallback: number): number {
  const text = r.string(key);
  if (text === undefined) return fallback;
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'] : 0;
  if (!ms) r.fail(key, 'a duration such as 30s, 1m or 1h', text);
  return ms;
}

/**
 * A source reading Limitador's counters from Prometheus. Label defaults are Kuadrant's TelemetryPolicy keys
 * (`user: auth.identity.userid`, `model: responseBodyJSON("/model")`, and the tier's label); MaaS releases
 * that label subscriptions instead of tiers set `labels: { tier: subscription }`.
 */
function readPrometheus(p: ConfigReader): PrometheusConfig {
  const url = p.requiredString('url');
  if (!/^https?:\/\/[^/]/.test(url)) p.fail('url', 'an http(s) URL of Prometheus, such as http://prometheus:9090', url);
  const labels = p.child('labels');
  const label = (k: 'user' | 'tier' | 'model') => labels?.string(k) ?? k;
  const config: PrometheusConfig = {
    url,
    stepMs: duration(p, 'step', 60_000),
    tokensMetric: p.string('tokens_metric') ?? 'authorized_hits',
    // `requests_metric: null`: no request counter (records then count steps with tokens, not requests).
    requestsMetric: p.raw('requests_metric') === null ? undefined : (p.string('requests_metric') ?? 'authorized_calls'),
    labels: { user: label('user'), tier: label('tier'), model: label('model') },
    sinceMs: undefined,
    lookbackMs: duration(p, 'lookback', 5 * 60_000),
    delayMs: duration(p, 'delay', 60_000),
  };
  const since = p.string('since');
  if (since !== undefined) {
    const t = parseIsoTime(since);
    if (!t.ok) p.fail('since', 'an ISO 8601 time such as 2026-11-01T00:00:00Z', since);
    config.sinceMs = t.ms;
  }
  labels?.done();
  p.done();
  return config;
}

function readSource(r: ConfigReader, index: number, at: (p: string) => string): SourceConfig {
  const promReader = r.child('prometheus');
  if (promReader) {
    if (r.has('paths') || r.has('path') || r.has('stdin'))
      r.fail('prometheus', 'no paths, path or stdin beside it (a source reads files, stdin or Prometheus)', '...');
    const prometheus = readPrometheus(promReader);
    const name = r.string('name') ?? `source${index}`;
    const source: SourceConfig = {
      name,
      paths: [],
      stdin: false,
      format: 'generic',
      mappings: { generic: PROMETHEUS_MAPPING },
      keyNamespace: r.string('key_namespace') ?? 'kuadrant',
      startAt: 'beginning',
      maxFiles: 0,
      otherLines: 'reject',
      container: 'none',
      prometheus,
    };
    r.done();
    return source;
  }
  const stdin = r.boolean('stdin', false);
  const listed = r.stringList('paths');
  const single = r.stringList('path'); // an alias of paths
  if (listed && single)
    r.fail('path', 'nothing when paths is given (use one of them)', single.length === 1 ? single[0] : single);
  const paths = (listed ?? single ?? []).map(at);
  if (!stdin && paths.length === 0) r.fail('paths', 'a file path or glob (or stdin: true)', undefined);
  if (stdin && paths.length) r.fail('paths', 'nothing when stdin: true', paths);
  for (const p of paths) {
    const problem = validatePattern(p);
    if (problem) throw new ConfigError(`${r.file}: ${r.where}.paths: ${problem}: ${p}`);
  }
  const format = r.oneOf('format', FORMATS, 'auto');
  const mappings: Partial<Record<GatewayFormat, Mapping>> = {};
  const generic = readMapping(r, 'mapping', undefined);
  if (generic) mappings.generic = generic;
  if (format === 'generic' && !generic)
    r.fail('mapping', 'a mapping of canonical fields to JSON paths (format: generic)', undefined);
  // `fields` replaces some fields of the forced preset (or of every preset in auto mode).
  if (r.has('fields')) {
    const targets =
      format === 'auto' ? (['litellm', 'kong', 'envoy', 'otel'] as const) : format === 'generic' ? [] : [format];
    if (!targets.length) r.fail('fields', 'nothing with format: generic (put the paths in mapping)', r.raw('fields'));
    for (const t of targets) mappings[t] = readMapping(r, 'fields', PRESETS[t])!;
  }
  const name = r.string('name') ?? (stdin ? 'stdin' : `source${index}`);
  const source: SourceConfig = {
    name,
    paths,
    stdin,
    format,
    mappings,
    keyNamespace: r.string('key_namespace'),
    startAt: r.oneOf('start_at', ['beginning', 'end'], 'beginning'),
    maxFiles: r.integer('max_files', DEFAULT_MAX_FILES, 1),
    otherLines: r.oneOf('other_lines', OTHER_LINES, 'reject'),
    container: r.oneOf('container', CONTAINER_MODES, 'auto'),
    prometheus: undefined,
  };
  if (stdin && r.has('container'))
    r.fail('container', 'nothing with stdin: true (`kubectl logs` output is not wrapped)', r.raw('container'));
  r.done();
  return source;
}

function readIdentities(r: ConfigReader): Identity[] {
  return r.children('identities').map((i) => {
    const id: Identity = {};
    const apiKey = i.string('api_key');
    const user = i.string('user');
    if (apiKey === undefined && user === undefined) i.fail('api_key', 'api_key (hash, id or alias) or user', undefined);
    if (apiKey !== undefined) id.apiKey = apiKey;
    if (user !== undefined) id.user = user;
    for (const k of ['owner', 'team', 'tier'] as const) {
      const v = i.string(k);
      if (v !== undefined) id[k] = v;
    }
    i.done();
    return id;
  });
}

function labelList(r: ConfigReader, key: string, fallback: UsageLabel[], allowed: readonly UsageLabel[]): UsageLabel[] {
  const list = r.stringList(key);
  if (!list) return fallback;
  list.forEach((l, i) => {
    if (!allowed.includes(l as UsageLabel)) r.fail(`${key}[${i}]`, `one of ${allowed.join(', ')}`, l);
  });
  return list as UsageLabel[];
}

function readMetrics(r: ConfigReader | undefined): MetricsConfig {
  if (!r) return DEFAULT_METRICS_CONFIG;
  const d = DEFAULT_METRICS_CONFIG;
  const labels = r.child('labels');
  const noStatus = USAGE_LABELS.filter((l) => l !== 'status');
  const out: MetricsConfig = {
    labels: labels
      ? {
          requests: labelList(labels, 'requests', d.labels.requests, USAGE_LABELS),
          tokens: labelList(labels, 'tokens', d.labels.tokens, noStatus),
          cost: labelList(labels, 'cost', d.labels.cost, noStatus),
        }
      : d.labels,
    maxSeries: r.integer('max_series', d.maxSeries, 1),
    foldLabels: labelList(r, 'fold_labels', d.foldLabels, USAGE_LABELS),
  };
  labels?.done();
  r.done();
  return out;
}

const DEFAULT_THRESHOLDS = ['0.80', '0.95', '1.00'];

function readBudgets(r: ConfigReader): Budget[] {
  return r.children('budgets').map((b) => {
    const scope = b.oneOf('scope', BUDGET_SCOPES, 'global') as BudgetScope;
    const subject = scope === 'global' ? (b.string('subject') ?? 'global') : b.requiredString('subject');
    const period = b.oneOf('period', PERIODS, 'monthly');
    const limitRaw = b.raw('limit_usd');
    if (typeof limitRaw !== 'number' && typeof limitRaw !== 'string') b.fail('limit_usd', 'an amount in USD', limitRaw);
    let limit;
    try {
      limit = parseDecimal(limitRaw as string | number);
    } catch {
      return b.fail('limit_usd', 'an amount in USD', limitRaw);
    }
    if (limit.units < 0n) b.fail('limit_usd', 'an amount >= 0', limitRaw);
    const thresholdText = b.raw('thresholds') ?? DEFAULT_THRESHOLDS;
    if (!Array.isArray(thresholdText) || thresholdText.length !== 3)
      b.fail('thresholds', 'three fractions of the limit, e.g. [0.8, 0.95, 1.0]', thresholdText);
    const fractions = (thresholdText as unknown[]).map((t, i) => {
      try {
        const d = parseDecimal(t as string | number);
        if (d.units <= 0n) throw new Error();
        return d;
      } catch {
        return b.fail(`thresholds[${i}]`, 'a positive fraction of the limit', t);
      }
    });
    const asNumber = fractions.map((d) => Number(d.units) / 10 ** d.scale);
    if (!(asNumber[0]! < asNumber[1]! && asNumber[1]! < asNumber[2]!))
      b.fail('thresholds', 'ascending warning < critical < exceeded', thresholdText);
    const enforce = b.oneOf('enforce', ENFORCE_MODES, NOT_ENFORCED.enforce);
    const grace = readFraction(b, 'grace');
    const fail = b.oneOf('fail', FAIL_POLICIES, NOT_ENFORCED.fail);
    b.done();
    return {
      scope,
      subject,
      period,
      limitPusd: decimalToPico(limit).pico,
      thresholds: Object.fromEntries(THRESHOLD_NAMES.map((n, i) => [n, fractions[i]!])) as Budget['thresholds'],
      enforce,
      grace,
      fail,
    };
  });
}

/** `grace`: a fraction >= 0 of the limit (0.1 lets 10 % through beyond it), 0 when absent. */
function readFraction(b: ConfigReader, key: string): Budget['grace'] {
  const raw = b.raw(key);
  if (raw === undefined || raw === null) return NOT_ENFORCED.grace;
  const expected = 'a fraction of the limit >= 0, e.g. 0.1 for 10 %';
  if (typeof raw !== 'number' && typeof raw !== 'string') return b.fail(key, expected, raw);
  let d;
  try {
    d = parseDecimal(raw);
  } catch {
    return b.fail(key, expected, raw);
  }
  if (d.units < 0n) b.fail(key, expected, raw);
  return d;
}

function readDuration(r: ConfigReader, key: string, fallbackMs: number): number {
  const raw = r.raw(key);
  if (raw === undefined || raw === null) return fallbackMs;
  const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
  if (ms === undefined || ms <= 0) r.fail(key, 'a duration such as 500ms, 30s, 5m or 1h (more than 0)', raw);
  return ms!;
}

/** A model's estimate; what it leaves out is taken from `fallback` (the `default` estimate). */
function readTokenEstimate(r: ConfigReader, fallback: TokenEstimate): TokenEstimate {
  const estimate = {
    inputTokens: r.integer('input_tokens', fallback.inputTokens, 0),
    outputTokens: r.integer('output_tokens', fallback.outputTokens, 0),
  };
  r.done();
  return estimate;
}

/**
 * `enforcement: { reservation_ttl, stale_after, estimates: { default: {...}, <model>: {...} }, grpc_listen }`.
 * grpc_listen belongs to the ext_authz gRPC door: readGrpcListen reads it before this ends the section.
 */
function readEnforcement(r: ConfigReader | undefined): EnforcementSettings {
  if (!r) return DEFAULT_ENFORCEMENT;
  const d = DEFAULT_ENFORCEMENT;
  const estimates = new Map<string, TokenEstimate>();
  const e = r.child('estimates');
  const estimateOf = (model: string, fallback: TokenEstimate): TokenEstimate =>
    readTokenEstimate(
      e!.child(model) ?? e!.fail(model, 'a mapping with input_tokens and output_tokens', null),
      fallback
    );
  const defaultEstimate = e?.has('default') ? estimateOf('default', d.defaultEstimate) : d.defaultEstimate;
  for (const model of e?.keys() ?? [])
    if (model !== 'default') estimates.set(model, estimateOf(model, defaultEstimate));
  const settings: EnforcementSettings = {
    reservationTtlMs: readDuration(r, 'reservation_ttl', d.reservationTtlMs),
    staleAfterMs: readDuration(r, 'stale_after', d.staleAfterMs),
    estimates,
    defaultEstimate,
  };
  r.done();
  return settings;
}

/** The `enforcement:` keys of the ext_authz doors: `grpc_listen`. Not set, no gRPC port is opened. */
function readGrpcListen(r: ConfigReader | undefined): Config['enforcementGrpcListen'] {
  const text = r?.string('grpc_listen');
  if (text === undefined) return undefined;
  return parseListen(text, (expected) => r!.fail('grpc_listen', expected, text));
}

function readAuth(r: ConfigReader | undefined): AuthConfig {
  if (!r) return { tokens: [], api: 'open', metrics: 'open' };
  const tokens: ApiToken[] = r.children('tokens').map((t) => {
    const name = t.requiredString('name');
    const sha256 = t.requiredString('sha256');
    if (!/^[0-9a-f]{64}$/i.test(sha256))
      t.fail('sha256', "the token's SHA-256 as 64 hex characters (tokenledger hash-token prints it)", sha256);
    const role = t.oneOf('role', TOKEN_ROLES, 'scoped');
    const team = t.string('team');
    const user = t.string('user');
    if (role === 'admin' && (team || user))
      t.fail('role', 'admin without team or user (an admin sees everything)', role);
    if (role === 'ingest' && (team || user))
      t.fail('role', 'ingest without team or user (an ingest token pushes usage and reads nothing)', role);
    if (role === 'scoped' && (team === undefined) === (user === undefined))
      t.fail('team', 'exactly one of team or user for a scoped token (or role: admin)', team ?? user);
    t.done();
    return {
      name,
      sha256: Buffer.from(sha256, 'hex'),
      role,
      scope: role !== 'scoped' ? undefined : team !== undefined ? { team } : { user: user! },
    };
  });
  const auth: AuthConfig = {
    tokens,
    api: r.oneOf('api', ['required', 'open'], tokens.length ? 'required' : 'open'),
    metrics: r.oneOf('metrics', ['required', 'open'], 'open'),
  };
  if ((auth.api === 'required' || auth.metrics === 'required') && !tokens.some((t) => t.role === 'admin')) {
    if (auth.metrics === 'required')
      r.fail('metrics', 'open, or an admin token in tokens (scoped tokens cannot read /metrics)', auth.metrics);
    if (!tokens.some((t) => t.role === 'scoped'))
      r.fail(
        'tokens',
        'at least one admin or scoped token when api: required (ingest tokens cannot read; or api: open)',
        tokens.map((t) => t.role)
      );
  }
  r.done();
  return auth;
}

/** Loads and checks a config file. Relative paths in it are relative to the file's own directory. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read config: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = ConfigReader.root(file, doc);
  const base = dirname(resolve(file));
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const priceFiles = r.stringList('prices') ?? r.fail('prices', 'a price book file (or a list of them)', undefined);
  const effective = r.string('litellm_prices_effective_from');
  const effectiveTime = effective === undefined ? undefined : parseIsoTime(effective);
  if (effectiveTime && !effectiveTime.ok) {
    r.fail(
      'litellm_prices_effective_from',
      effectiveTime.kind === 'shape' ? 'a date like 2025-01-31' : `a real date (${effectiveTime.problem})`,
      effective
    );
  }
  const effectiveMs = effectiveTime?.ok ? effectiveTime.ms : undefined;
  // No sources is a replica that only receives pushes or answers enforcement doors (serve says so at start).
  const sources = r.children('sources').map((s, i) => readSource(s, i, at));
  const names = new Set<string>();
  for (const s of sources) {
    if (names.has(s.name))
      throw new ConfigError(`${file}: sources: two sources are named ${JSON.stringify(s.name)}; names must be unique`);
    names.add(s.name);
  }
  const enforcement = r.child('enforcement');
  const config: Config = {
    file,
    ledger: readLedgerSpec(r, at, process.env),
    node: readNode(r, process.env),
    retentionMonths: readRetentionMonths(r),
    rejectsFile: at(r.string('rejects_file') ?? './data/rejects.jsonl'),
    priceFiles: priceFiles.map(at),
    litellmPricesEffectiveFromMs: effectiveMs,
    identities: readIdentities(r),
    defaultTier: r.string('default_tier'),
    listen: parseListen(r.string('listen') ?? DEFAULTS.listen, (expected) =>
      r.fail('listen', expected, r.raw('listen'))
    ),
    pollIntervalMs: r.integer('poll_interval_ms', DEFAULTS.pollIntervalMs, 10),
    rotateWaitMs: r.integer('rotate_wait_ms', DEFAULTS.rotateWaitMs, 0),
    batchLines: r.integer('batch_lines', DEFAULTS.batchLines, 1),
    maxLineBytes: r.integer('max_line_bytes', DEFAULTS.maxLineBytes, 1024),
    sources,
    metrics: readMetrics(r.child('metrics')),
    timeZone: r.string('time_zone') ?? 'UTC',
    budgets: readBudgets(r),
    // grpc_listen first: readEnforcement ends the section (unknown keys are errors there).
    enforcementGrpcListen: readGrpcListen(enforcement),
    enforcement: readEnforcement(enforcement),
    auth: readAuth(r.child('auth')),
    watchConfig: r.boolean('watch_config', true),
    push: readPush(r.child('push')),
  };
  const budgetKeys = new Set<string>();
  for (const b of config.budgets) {
    const key = `${b.scope}/${b.subject}/${b.period}`;
    if (budgetKeys.has(key))
      throw new ConfigError(
        `${file}: budgets: two budgets for ${b.scope} ${JSON.stringify(b.subject)}, ${b.period}; one per scope, subject and period`
      );
    budgetKeys.add(key);
  }
  if (!isValidTimeZone(config.timeZone))
    r.fail('time_zone', 'an IANA time zone such as UTC or Europe/Berlin', config.timeZone);
  r.done();
  return config;
}

export { ConfigError };
