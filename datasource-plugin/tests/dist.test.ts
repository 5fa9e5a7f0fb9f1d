/** @jest-environment node */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The built plugin (dist/, from `npm run build`; the root `npm test` builds first) against the rules Grafana and
 * its plugin validator apply to plugin.json (grafana/grafana docs/sources/developers/plugins/plugin.schema.json:
 * required fields, id pattern, type, info, dependencies, routes), plus what a frontend-only data source needs.
 */

const DIST = join(__dirname, '..', 'dist');

/** Top-level keys the schema allows, plus `buildMode`, which the scaffold's webpack config writes. */
const PLUGIN_KEYS = [
  '$schema',
  'id',
  'type',
  'name',
  'info',
  'dependencies',
  'alerting',
  'annotations',
  'autoEnabled',
  'backend',
  'builtIn',
  'category',
  'enterpriseFeatures',
  'executable',
  'hideFromList',
  'includes',
  'logs',
  'metrics',
  'pascalName',
  'preload',
  'queryOptions',
  'routes',
  'skipDataQuery',
  'state',
  'streaming',
  'tracing',
  'buildMode',
];
const ROUTE_KEYS = [
  'path',
  'method',
  'url',
  'reqSignedIn',
  'reqRole',
  'headers',
  'body',
  'tokenAuth',
  'jwtTokenAuth',
  'urlParams',
];
const ID = /^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource|secretsmanager|transformer)$/;
const GRAFANA_DEPENDENCY =
  /^(<=|>=|<|>|=|~|\^)?([0-9]+)(\.[0-9x*]+)(\.[0-9x*]+)?(\s(<=|>=|<|=>)?([0-9]+)(\.[0-9x]+)(\.[0-9x]+))?$/;

interface Route {
  path: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

interface PluginJson {
  id: string;
  type: string;
  name: string;
  backend?: boolean;
  alerting?: boolean;
  annotations?: boolean;
  metrics?: boolean;
  info: { version: string; updated: string; keywords: string[]; logos: { small: string; large: string } };
  dependencies: { grafanaDependency: string; plugins?: unknown[] };
  routes?: Route[];
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Secret-looking strings a bundle must never hold. */
const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['a bearer token', /Bearer\s+(?!\{\{)[A-Za-z0-9._~+/-]{8,}/],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['an OpenAI/Anthropic style key', /\bsk-(ant-)?[A-Za-z0-9_-]{16,}/],
  ['an AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
  ['a Grafana service account token', /\bglsa_[A-Za-z0-9_]{20,}/],
];

describe('dist/', () => {
  let plugin: PluginJson;

  beforeAll(() => {
    if (!existsSync(join(DIST, 'plugin.json'))) {
      throw new Error(
        `${DIST}/plugin.json is missing: run \`npm run build\` in datasource-plugin first (the root \`npm test\` does it)`
      );
    }
    plugin = JSON.parse(readFileSync(join(DIST, 'plugin.json'), 'utf8')) as PluginJson;
  });

  it('has a plugin.json with the fields, id and type Grafana requires', () => {
    expect(Object.keys(plugin).filter((key) => !PLUGIN_KEYS.includes(key))).toEqual([]);
    expect(plugin).toEqual(
      expect.objectContaining({ id: 'tokenledger-chargeback-datasource', type: 'datasource', name: expect.any(String) })
    );
    expect(plugin.id).toMatch(ID);
    expect(plugin.id.endsWith(`-${plugin.type}`)).toBe(true);
    expect(plugin.metrics).toBe(true);
    expect(plugin.annotations).toBe(true);
  });

  it('has the version, date and logos filled in by the build', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(plugin.info.version).toBe(pkg.version);
    expect(plugin.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(plugin.info.keywords.length).toBeGreaterThan(0);
    for (const logo of [plugin.info.logos.small, plugin.info.logos.large]) {
      expect(logo).toMatch(/\.svg$/);
      expect(existsSync(join(DIST, logo))).toBe(true);
    }
  });

  it('declares the Grafana versions it supports, and no backend it does not ship', () => {
    expect(plugin.dependencies.grafanaDependency).toMatch(GRAFANA_DEPENDENCY);
    // The oldest version the levitate check (scripts/levitate.js) compares against.
    expect(plugin.dependencies.grafanaDependency).toBe('>=11.6.0');
    // Frontend only: no backend executable, and alerting needs a backend.
    expect(plugin.backend).not.toBe(true);
    expect(plugin.alerting).not.toBe(true);
    expect(
      files(DIST)
        .map((f) => relative(DIST, f))
        .filter((f) => /^gpx_|_linux_|_darwin_|_windows_/.test(f))
    ).toEqual([]);
  });

  it('has one route that adds the token from secureJsonData to requests for the exporter URL from jsonData', () => {
    expect(plugin.routes).toHaveLength(1);
    const [route] = plugin.routes!;
    expect(Object.keys(route!).filter((key) => !ROUTE_KEYS.includes(key))).toEqual([]);
    expect(route!.path).toBe('tokenledger');
    expect(route!.url).toBe('{{ .JsonData.url }}');
    expect(route!.headers).toEqual([{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.apiToken }}' }]);
  });

  it('has module.js as an AMD module that takes Grafana, React and RxJS from the host', () => {
    const module = readFileSync(join(DIST, 'module.js'), 'utf8');
    const [, deps = ''] = /define\((\[[^\]]*\])/.exec(module) ?? [];
    expect(JSON.parse(deps || '[]')).toEqual(
      expect.arrayContaining(['@grafana/data', '@grafana/runtime', '@grafana/ui', 'react', 'rxjs'])
    );
  });

  it('holds no secrets: no tokens, keys or provisioning secrets in any file', () => {
    const provisioned = readFileSync(join(__dirname, '..', 'provisioning', 'datasources', 'datasources.yml'), 'utf8');
    // A provisioned secret is an environment reference ($VAR), never a literal.
    expect(provisioned).toMatch(/apiToken: \$\{?\w+\}?/);
    for (const file of files(DIST)) {
      const text = readFileSync(file, 'utf8');
      for (const [what, pattern] of SECRET_PATTERNS) {
        expect({ file: relative(DIST, file), match: pattern.exec(text)?.[0] ?? null, what }).toEqual({
          file: relative(DIST, file),
          match: null,
          what,
        });
      }
    }
  });
});
