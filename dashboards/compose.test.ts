/**
 * docker-compose.yaml cannot run on the CI machines (no Docker): this checks what would break it. Every mounted
 * path exists, every URL and port the provisioning files and configs use is a compose service listening there,
 * the plugins are mounted under their ids and allowed unsigned, and Grafana's token is one the exporter accepts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { stringify } from 'yaml';
import { hashToken } from '../exporter/src/auth/apiTokens';
import { requireBinary } from '../exporter/test/daemons';
import { tempDir } from '../exporter/test/helpers';
import { loadConfig } from '../exporter/src/config/config';
import { dashboardFileNames, DASHBOARD_DIR } from './test/dashboardFiles';
import {
  compose,
  composeDefaults,
  dashboardProviders,
  hostPath,
  mounts,
  PROVISIONING,
  provisionedDataSources,
  provisioningFiles,
  readYaml,
  REPO,
} from './test/provisioning';

const { services } = compose();
const service = (name: string) => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yaml has no service ${name}`);
  return s;
};
/** The container path a service's file is mounted at, resolved to the checkout. */
const mountedFile = (name: string, containerPath: string): string => {
  const path = hostPath(service(name), containerPath);
  if (!path) throw new Error(`${name}: nothing of the checkout is mounted at ${containerPath}`);
  return path;
};
const pluginId = (dir: string) =>
  (JSON.parse(readFileSync(join(REPO, dir, 'src/plugin.json'), 'utf8')) as { id: string }).id;
const commandFlag = (name: string, flag: string) => {
  const command = service(name).command;
  const value = (Array.isArray(command) ? command : []).find((c) => c.startsWith(`${flag}=`));
  if (!value) throw new Error(`${name}: no ${flag}`);
  return value.slice(flag.length + 1);
};

const TOKENLEDGER_CONTAINER_CONFIG = '/etc/tokenledger/tokenledger.yaml';
const tokenledgerConfigFile = mountedFile('tokenledger', TOKENLEDGER_CONTAINER_CONFIG);
const tokenledgerConfig = loadConfig(tokenledgerConfigFile);

/** The port each service listens on inside the compose network. */
const listenPorts: Record<string, number> = {
  tokenledger: tokenledgerConfig.listen.port,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
};

describe('docker-compose.yaml', () => {
  it('has the four services, each publishing the port it listens on', () => {
    expect(Object.keys(services).sort()).toEqual(['alertmanager', 'grafana', 'prometheus', 'tokenledger']);
    expect([listenPorts['alertmanager'], listenPorts['grafana']]).toEqual([9093, 3000]);
    for (const [name, port] of Object.entries(listenPorts)) expect(service(name).ports).toContain(`${port}:${port}`);
    expect(tokenledgerConfig.listen.host).toBe('0.0.0.0');
  });

  it.each(Object.keys(services))(
    '%s: every mounted path of the checkout exists and every named volume is declared',
    (name) => {
      for (const m of mounts(service(name))) {
        if (m.bind) expect([m.source, existsSync(join(REPO, m.source))]).toEqual([m.source, true]);
        else expect(Object.keys(compose().volumes ?? {})).toContain(m.source);
      }
    }
  );

  it("every URL in the provisioning files and in Prometheus's config is a compose service on the port it listens on", () => {
    const files = [
      ...provisioningFiles('datasources'),
      ...provisioningFiles('alerting'),
      mountedFile('prometheus', commandFlag('prometheus', '--config.file')),
    ];
    const targets = files.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/(?:https?:\/\/|["'\s[])([a-z][\w-]*):(\d+)\b/g)].map((m) => ({
        file: basename(f),
        host: m[1]!,
        port: Number(m[2]),
      }))
    );
    expect(targets.map((t) => t.host)).toEqual(expect.arrayContaining(['prometheus', 'alertmanager', 'tokenledger']));
    // localhost:<port> is what a browser uses (links in alert annotations): a port compose publishes.
    const published = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => Number(p.split(':')[0])));
    for (const t of targets)
      expect(t).toEqual({
        ...t,
        port: t.host === 'localhost' && published.includes(t.port) ? t.port : listenPorts[t.host],
      });
  });

  it('grafana: both plugins mounted under their ids from their dist/, allowed unsigned by id', () => {
    const grafana = service('grafana');
    const allowed = composeDefaults(grafana.environment?.['GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS'] ?? '').split(
      ','
    );
    for (const dir of ['panel-plugin', 'datasource-plugin']) {
      const id = pluginId(dir);
      expect(allowed).toContain(id);
      expect(mounts(grafana)).toContainEqual({
        source: `./${dir}/dist`,
        target: `/var/lib/grafana/plugins/${id}`,
        bind: true,
      });
    }
  });

  it('grafana: data source and dashboard provisioning are mounted, and the dashboard provider path holds exactly the dashboards the tests check', () => {
    const grafana = service('grafana');
    expect(mountedFile('grafana', '/etc/grafana/provisioning/datasources')).toBe(join(PROVISIONING, 'datasources'));
    expect(mountedFile('grafana', '/etc/grafana/provisioning/dashboards')).toBe(join(PROVISIONING, 'dashboards'));
    // Prometheus evaluates the rules; Grafana-managed copies as well would alert twice.
    expect(hostPath(grafana, '/etc/grafana/provisioning/alerting')).toBeUndefined();
    const providers = dashboardProviders();
    expect(providers).toHaveLength(1);
    const path = providers[0]!.options.path;
    const mounted = mounts(grafana).filter((m) => posix.dirname(m.target) === path || m.target === path);
    const files = mounted.flatMap((m) =>
      statSync(join(REPO, m.source)).isDirectory()
        ? readdirSync(join(REPO, m.source)).map((f) => join(REPO, m.source, f))
        : [join(REPO, m.source)]
    );
    expect(files.map((f) => f.replace(`${DASHBOARD_DIR}/`, '')).sort()).toEqual(dashboardFileNames());
    expect(
      existsSync(mountedFile('grafana', grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'] ?? ''))
    ).toBe(true);
  });

  it("grafana: the chargeback data source's token comes from the environment and the exporter accepts it", () => {
    const chargeback = provisionedDataSources().find((ds) => ds.uid === 'tokenledger-chargeback')!;
    const variableName = /^\$\{?(\w+)\}?$/.exec(chargeback.secureJsonData?.['apiToken'] ?? '')?.[1];
    expect(variableName).toBeDefined();
    const token = composeDefaults(service('grafana').environment?.[variableName!] ?? '');
    expect(token).not.toBe('');
    expect(tokenledgerConfig.auth.tokens.map((t) => t.sha256.toString('hex'))).toContain(hashToken(token));
    expect(chargeback.jsonData?.['url']).toBe(`http://tokenledger:${tokenledgerConfig.listen.port}`);
  });

  it('prometheus: loads alerting/rules/tokenledger.rules.yml and scrapes the exporter', () => {
    const config = readYaml<{
      rule_files: string[];
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    }>(mountedFile('prometheus', commandFlag('prometheus', '--config.file')));
    const rules = config.rule_files.map((f) => mountedFile('prometheus', f));
    expect(rules).toContain(join(REPO, 'alerting/rules/tokenledger.rules.yml'));
    for (const f of rules) expect(existsSync(f)).toBe(true);
    expect(config.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets))).toContain(
      `tokenledger:${tokenledgerConfig.listen.port}`
    );
  });

  it('prometheus: promtool accepts the config, with the rule files at their checkout paths', () => {
    requireBinary('promtool', 'prometheus');
    const config = readYaml<{ rule_files: string[] }>(
      mountedFile('prometheus', commandFlag('prometheus', '--config.file'))
    );
    const file = join(tempDir('tl-compose-'), 'prometheus.yml');
    writeFileSync(
      file,
      stringify({ ...config, rule_files: config.rule_files.map((f) => mountedFile('prometheus', f)) })
    );
    const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, output: r.stdout + r.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
  });

  it('alertmanager: uses alerting/alertmanager.yml', () => {
    expect(mountedFile('alertmanager', commandFlag('alertmanager', '--config.file'))).toBe(
      join(REPO, 'alerting/alertmanager.yml')
    );
    expect(existsSync(join(REPO, 'alerting/alertmanager.yml'))).toBe(true);
  });

  it('the Grafana-managed alert rules (provisioning/alerting/) use provisioned data sources', () => {
    const uids = new Set([...provisionedDataSources().map((ds) => ds.uid), '__expr__']);
    for (const f of provisioningFiles('alerting')) {
      for (const m of readFileSync(f, 'utf8').matchAll(/datasourceUid:\s*["']?([\w-]+)/g))
        expect([basename(f), uids.has(m[1]!)]).toEqual([basename(f), true]);
    }
  });
});
