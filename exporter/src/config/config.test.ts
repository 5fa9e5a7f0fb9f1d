import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { closestKey, editDistance } from './reader';

const dir = mkdtempSync(join(tmpdir(), 'tl-config-'));
let n = 0;

/** Writes `text` as a config file and returns the error loading it gives (or fails if it loads). */
function configError(text: string): string {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, text);
  try {
    loadConfig(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message.slice(file.length + 2); // without "<file>: ", checked once below
  }
  throw new Error(`expected ${file} to be refused`);
}

const BASE = 'prices: prices.yaml\nsources:\n  - { name: gw, paths: gw.log }\n';
const ROOT_KEYS =
  'auth, batch_lines, budgets, default_tier, enforcement, identities, ledger, ledger_memory_limit, listen, litellm_prices_effective_from, max_line_bytes, metrics, ' +
  'node, node_env, poll_interval_ms, prices, push, rejects_file, retention_months, rotate_wait_ms, sources, time_zone, watch_config';
const SOURCE_KEYS =
  'container, fields, format, key_namespace, mapping, max_files, name, other_lines, path, paths, prometheus, start_at, stdin';

describe('config errors', () => {
  it('names a bad enforcement value, budget by budget and in the enforcement section', () => {
    const budget = (more: string) => `${BASE}budgets:\n  - { scope: team, subject: eng, limit_usd: 1, ${more} }\n`;
    expect(configError(budget('enforce: hard'))).toBe(
      'budgets[0].enforce: expected one of off, warn, block, got "hard"'
    );
    expect(configError(budget('grace: -0.1'))).toBe(
      'budgets[0].grace: expected a fraction of the limit >= 0, e.g. 0.1 for 10 %, got -0.1'
    );
    expect(configError(budget('grace: lots'))).toBe(
      'budgets[0].grace: expected a fraction of the limit >= 0, e.g. 0.1 for 10 %, got "lots"'
    );
    expect(configError(budget('fail: shut'))).toBe('budgets[0].fail: expected one of open, closed, got "shut"');
    expect(configError(`${BASE}enforcement:\n  reservation_ttl: 5 minutes\n`)).toBe(
      'enforcement.reservation_ttl: expected a duration such as 500ms, 30s, 5m or 1h (more than 0), got "5 minutes"'
    );
    expect(configError(`${BASE}enforcement:\n  stale_after: 0s\n`)).toBe(
      'enforcement.stale_after: expected a duration such as 500ms, 30s, 5m or 1h (more than 0), got "0s"'
    );
    expect(configError(`${BASE}enforcement:\n  estimates:\n    gpt-4o: { input_tokens: 10, output: 5 }\n`)).toBe(
      'enforcement.estimates.gpt-4o.output: unknown key; expected one of input_tokens, output_tokens'
    );
    expect(configError(`${BASE}enforcement:\n  estimates:\n    gpt-4o: 500\n`)).toBe(
      'enforcement.estimates.gpt-4o: expected a mapping, got 500'
    );
    expect(configError(`${BASE}enforcement:\n  ttl: 5m\n`)).toMatch(
      /^enforcement\.ttl: unknown key; expected one of estimates, grpc_listen, reservation_ttl, stale_after$/
    );
  });

  it('reads enforcement settings and defaults budgets to not enforced', () => {
    const file = join(dir, 'enforced.yaml');
    writeFileSync(
      file,
      `${BASE}budgets:\n  - { scope: team, subject: eng, limit_usd: 1, enforce: block, grace: 0.1, fail: closed }\n  - { scope: global, limit_usd: 5 }\n` +
        'enforcement:\n  reservation_ttl: 90s\n  stale_after: 500ms\n  estimates:\n    default: { input_tokens: 10 }\n    gpt-4o: { output_tokens: 7 }\n'
    );
    const c = loadConfig(file);
    expect(c.budgets.map((b) => [b.enforce, b.grace, b.fail])).toEqual([
      ['block', { units: 1n, scale: 1 }, 'closed'],
      ['off', { units: 0n, scale: 0 }, 'open'],
    ]);
    expect(c.enforcement).toEqual({
      reservationTtlMs: 90_000,
      staleAfterMs: 500,
      defaultEstimate: { inputTokens: 10, outputTokens: 1000 },
      estimates: new Map([['gpt-4o', { inputTokens: 10, outputTokens: 7 }]]),
    });
  });

  it('loads a config without sources (a replica that only receives pushes), but not sources that are not a list', () => {
    const file = join(dir, 'push-only.yaml');
    writeFileSync(file, 'prices: prices.yaml\npush: { max_body_bytes: 1024 }\n');
    expect(loadConfig(file).sources).toEqual([]);
    expect(configError('prices: prices.yaml\nsources: gw.log\n')).toBe('sources: expected a list, got "gw.log"');
  });

  it('names the file first', () => {
    const file = join(dir, 'named.yaml');
    writeFileSync(file, `${BASE}lisen: 127.0.0.1:9464\n`);
    expect(() => loadConfig(file)).toThrow(`${file}: lisen: unknown key`);
  });

  it('lists the keys allowed where an unknown key is, and suggests the one a typo was meant to be', () => {
    expect(configError(`${BASE}lisen: 127.0.0.1:9464\n`)).toBe(
      `lisen: unknown key; did you mean listen? (expected one of ${ROOT_KEYS})`
    );
    expect(configError(`${BASE}colour: blue\n`)).toBe(`colour: unknown key; expected one of ${ROOT_KEYS}`);
    expect(configError('prices: p.yaml\nsources:\n  - { paths: gw.log, fromat: kong }\n')).toBe(
      `sources[0].fromat: unknown key; did you mean format? (expected one of ${SOURCE_KEYS})`
    );
    expect(configError(`${BASE}identities:\n  - { user: a, ownr: b }\n`)).toBe(
      'identities[0].ownr: unknown key; did you mean owner? (expected one of api_key, owner, team, tier, user)'
    );
    expect(configError(`${BASE}metrics:\n  labels: { request: [user] }\n`)).toBe(
      'metrics.labels.request: unknown key; did you mean requests? (expected one of cost, requests, tokens)'
    );
    expect(configError(`${BASE}budgets:\n  - { scope: global, limit_usd: 1, perod: daily }\n`)).toMatch(
      /^budgets\[0\]\.perod: unknown key; did you mean period\? \(expected one of enforce, fail, grace, limit_usd, period, scope, subject, thresholds\)$/
    );
    expect(configError(`${BASE}auth:\n  tokens: []\n  metric: open\n`)).toBe(
      'auth.metric: unknown key; did you mean metrics? (expected one of api, metrics, tokens)'
    );
  });

  it('lists the mapping fields for an unknown field of a mapping', () => {
    const message = configError(
      'prices: p.yaml\nsources:\n  - { paths: gw.log, format: generic, mapping: { start_time: t, model: m, usr: u } }\n'
    );
    expect(message).toMatch(
      /^sources\[0\]\.mapping\.usr: unknown key; did you mean user\? \(expected one of .*\bstart_time\b.*\btime_unit\b.*\)$/
    );
  });

  it('points at a misspelt required key when the key itself is missing', () => {
    expect(configError('prices: p.yaml\nsources:\n  - { pahts: gw.log }\n')).toBe(
      'sources[0].paths: expected a file path or glob (or stdin: true), got undefined (is "pahts" a typo of paths?)'
    );
  });

  it('says once what listen expects and what it got', () => {
    expect(configError(`${BASE}listen: "127.0.0.1:99999"\n`)).toBe(
      'listen: expected host:port such as 127.0.0.1:9464 (port 0 to 65535), got "127.0.0.1:99999"'
    );
    expect(configError(`${BASE}listen: "localhost:http"\n`)).toBe(
      'listen: expected host:port such as 127.0.0.1:9464 (port 0 to 65535), got "localhost:http"'
    );
  });

  it('reads litellm_prices_effective_from with the strict date parser', () => {
    expect(configError(`${BASE}litellm_prices_effective_from: 2025-02-30\n`)).toBe(
      'litellm_prices_effective_from: expected a real date (2025-02-30 is not a date: February 2025 has 28 days), got "2025-02-30"'
    );
    expect(configError(`${BASE}litellm_prices_effective_from: soon\n`)).toBe(
      'litellm_prices_effective_from: expected a date like 2025-01-31, got "soon"'
    );
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, `${BASE}litellm_prices_effective_from: "2025-03-01T12:00:00+01:00"\nlisten: "[::1]:9000"\n`);
    const config = loadConfig(file);
    expect(config.litellmPricesEffectiveFromMs).toBe(Date.UTC(2025, 2, 1, 11));
    expect(config.listen).toEqual({ host: '::1', port: 9000 });
  });
});

describe('source patterns and bounds', () => {
  it('takes wildcards in directories and ** as a segment, bounds max_files, takes other_lines, and refuses ** inside a name', () => {
    const file = join(dir, 'dates.yaml');
    writeFileSync(
      file,
      'prices: prices.yaml\nsources:\n  - { name: s3, paths: "bucket/*/*.json", max_files: 500 }\n  - { name: gw, paths: "logs/**/*.log", other_lines: ignore }\n'
    );
    const config = loadConfig(file);
    expect(config.sources.map((s) => [s.paths, s.maxFiles, s.otherLines])).toEqual([
      [[join(dir, 'bucket/*/*.json')], 500, 'reject'],
      [[join(dir, 'logs/**/*.log')], 10_000, 'ignore'],
    ]);
    expect(configError('prices: prices.yaml\nsources:\n  - { name: gw, paths: "logs/a**/*.log" }\n')).toBe(
      `sources[0].paths: ** must be a whole path segment, as in logs/**/*.json: ${join(dir, 'logs/a**/*.log')}`
    );
    expect(configError(BASE.replace('paths: gw.log', 'paths: gw.log, other_lines: skip'))).toBe(
      'sources[0].other_lines: expected one of reject, ignore, got "skip"'
    );
    expect(configError(`${BASE.replace('paths: gw.log', 'paths: gw.log, max_files: 0')}`)).toBe(
      'sources[0].max_files: expected an integer >= 1, got 0'
    );
  });

  it('takes a prometheus source (Kuadrant) with its defaults, and refuses one with paths beside it', () => {
    const file = join(dir, 'maas.yaml');
    writeFileSync(
      file,
      'prices: prices.yaml\nsources:\n  - { name: maas, prometheus: { url: "http://prometheus:9090", step: 1m, labels: { tier: subscription } } }\n'
    );
    const [maas] = loadConfig(file).sources;
    expect(maas!.prometheus).toEqual({
      url: 'http://prometheus:9090',
      stepMs: 60_000,
      tokensMetric: 'authorized_hits',
      requestsMetric: 'authorized_calls',
      labels: { user: 'user', tier: 'subscription', model: 'model' },
      sinceMs: undefined,
      lookbackMs: 300_000,
      delayMs: 60_000,
    });
    expect([maas!.paths, maas!.format, maas!.keyNamespace]).toEqual([[], 'generic', 'kuadrant']);
    expect(
      configError(
        'prices: prices.yaml\nsources:\n  - { name: m, paths: a.log, prometheus: { url: "http://p:9090" } }\n'
      )
    ).toMatch(/^sources\[0\]\.prometheus: expected no paths, path or stdin beside it/);
    expect(configError('prices: prices.yaml\nsources:\n  - { prometheus: { url: "http://p:9090", step: 1d } }\n')).toBe(
      'sources[0].prometheus.step: expected a duration such as 30s, 1m or 1h, got "1d"'
    );
  });

  it('takes a container log wrapper per source, auto by default, and none for stdin', () => {
    const file = join(dir, 'containers.yaml');
    writeFileSync(
      file,
      'prices: prices.yaml\nsources:\n  - { name: a, paths: a.log }\n  - { name: b, paths: b.log, container: cri }\n  - { name: c, paths: c.log, container: none }\n'
    );
    expect(loadConfig(file).sources.map((s) => s.container)).toEqual(['auto', 'cri', 'none']);
    expect(configError(BASE.replace('paths: gw.log', 'paths: gw.log, container: containerd'))).toBe(
      'sources[0].container: expected one of auto, cri, docker, none, got "containerd"'
    );
    expect(configError('prices: prices.yaml\nsources:\n  - { stdin: true, container: cri }\n')).toBe(
      'sources[0].container: expected nothing with stdin: true (`kubectl logs` output is not wrapped), got "cri"'
    );
  });
});

describe('push and ingest tokens', () => {
  const SHA = 'a'.repeat(64);
  const load = (text: string) => {
    const file = join(dir, `push${n++}.yaml`);
    writeFileSync(file, text);
    return loadConfig(file);
  };

  it('reads push.max_body_bytes (10 MiB by default) and refuses what is not a size', () => {
    expect(load(BASE).push).toEqual({ maxBodyBytes: 10 * 1024 * 1024, rememberMs: 24 * 3_600_000 });
    expect(load(`${BASE}push:\n  max_body_bytes: 65536\n`).push).toEqual({
      maxBodyBytes: 65536,
      rememberMs: 24 * 3_600_000,
    });
    expect(configError(`${BASE}push:\n  max_body_bytes: 10\n`)).toBe(
      'push.max_body_bytes: expected an integer >= 1024, got 10'
    );
    expect(configError(`${BASE}push:\n  max_body: 65536\n`)).toBe(
      'push.max_body: unknown key; expected one of max_body_bytes, remember'
    );
  });

  it('reads push.remember, how long push receipts are kept (24h by default), as a duration', () => {
    expect(load(`${BASE}push:\n  remember: 90m\n`).push.rememberMs).toBe(90 * 60_000);
    expect(configError(`${BASE}push:\n  remember: 1 day\n`)).toBe(
      'push.remember: expected a duration such as 500ms, 30s, 5m or 1h (more than 0), got "1 day"'
    );
    expect(configError(`${BASE}push:\n  remember: 0s\n`)).toBe(
      'push.remember: expected a duration such as 500ms, 30s, 5m or 1h (more than 0), got "0s"'
    );
  });

  it('takes ingest tokens, which have no team or user and cannot be the only tokens of a required API', () => {
    const auth = load(
      `${BASE}auth:\n  tokens:\n    - { name: gw, role: ingest, sha256: ${SHA} }\n    - { name: ops, role: admin, sha256: ${'b'.repeat(64)} }\n`
    ).auth;
    expect(auth.tokens.map((t) => [t.name, t.role, t.scope])).toEqual([
      ['gw', 'ingest', undefined],
      ['ops', 'admin', undefined],
    ]);
    expect(configError(`${BASE}auth:\n  tokens:\n    - { name: gw, role: ingest, team: eng, sha256: ${SHA} }\n`)).toBe(
      'auth.tokens[0].role: expected ingest without team or user (an ingest token pushes usage and reads nothing), got "ingest"'
    );
    expect(configError(`${BASE}auth:\n  tokens:\n    - { name: gw, role: ingest, sha256: ${SHA} }\n`)).toBe(
      'auth.tokens: expected at least one admin or scoped token when api: required (ingest tokens cannot read; or api: open), got ["ingest"]'
    );
    expect(
      load(`${BASE}auth:\n  api: open\n  tokens:\n    - { name: gw, role: ingest, sha256: ${SHA} }\n`).auth.api
    ).toBe('open');
  });
});

describe('typo suggestions', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('fromat', 'format')).toBe(1);
    expect(editDistance('lisen', 'listen')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only close keys, ignoring case', () => {
    expect(closestKey('Listen', ['ledger', 'listen'])).toBe('listen');
    expect(closestKey('poll_interval', ['poll_interval_ms'])).toBeUndefined();
    expect(closestKey('tem', ['team', 'tier'])).toBe('team');
    expect(closestKey('user', ['team', 'tier'])).toBeUndefined();
    expect(closestKey('max_line_byte', ['max_line_bytes', 'batch_lines'])).toBe('max_line_bytes');
  });
});

describe('enforcement.grpc_listen (the ext_authz gRPC door)', () => {
  it('is off unless set, takes host:port, and says what it expects', () => {
    const off = join(dir, 'no-grpc.yaml');
    writeFileSync(off, BASE);
    expect(loadConfig(off).enforcementGrpcListen).toBeUndefined();
    const on = join(dir, 'grpc.yaml');
    writeFileSync(on, `${BASE}enforcement:\n  grpc_listen: "0.0.0.0:9191"\n`);
    expect(loadConfig(on).enforcementGrpcListen).toEqual({ host: '0.0.0.0', port: 9191 });
    expect(configError(`${BASE}enforcement:\n  grpc_listen: "9191x"\n`)).toBe(
      'enforcement.grpc_listen: expected host:port such as 127.0.0.1:9464 (port 0 to 65535), got "9191x"'
    );
    expect(configError(`${BASE}enforcement:\n  grpc_lisen: 9191\n`)).toMatch(
      /^enforcement\.grpc_lisen: unknown key; did you mean grpc_listen\?/
    );
  });
});
