/** The Grafana provisioning files and docker-compose.yaml, parsed, for the dashboard and compose tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const REPO = resolve(__dirname, '../..');
export const PROVISIONING = join(REPO, 'provisioning');

export interface ProvisionedDataSource {
  name: string;
  uid: string;
  type: string;
  url?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}

export function readYaml<T>(path: string): T {
  return parse(readFileSync(path, 'utf8')) as T;
}

/** The YAML files of one provisioning folder (datasources, dashboards, alerting, plugins). */
export function provisioningFiles(folder: string): string[] {
  const dir = join(PROVISIONING, folder);
  try {
    return readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export function provisionedDataSources(): ProvisionedDataSource[] {
  return provisioningFiles('datasources').flatMap(
    (f) => readYaml<{ datasources?: ProvisionedDataSource[] }>(f).datasources ?? []
  );
}

export interface DashboardProvider {
  name: string;
  type: string;
  options: { path: string };
}

export function dashboardProviders(): DashboardProvider[] {
  return provisioningFiles('dashboards').flatMap(
    (f) => readYaml<{ providers?: DashboardProvider[] }>(f).providers ?? []
  );
}

export interface ComposeService {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[];
}

export interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function compose(): Compose {
  return readYaml<Compose>(join(REPO, 'docker-compose.yaml'));
}

/** `${VAR:-default}` as docker compose reads it with VAR unset. */
export function composeDefaults(text: string): string {
  return text.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
}

export interface Mount {
  source: string;
  target: string;
  /** A path of this checkout (./...), not a named volume. */
  bind: boolean;
}

export function mounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((v) => {
    const [source, target] = composeDefaults(v).split(':') as [string, string];
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

/** The container path `containerPath` is visible at in the checkout, through `service`'s bind mounts. */
export function hostPath(service: ComposeService, containerPath: string): string | undefined {
  for (const m of mounts(service).filter((x) => x.bind)) {
    if (containerPath === m.target) return resolve(REPO, m.source);
    if (containerPath.startsWith(`${m.target}/`))
      return resolve(REPO, m.source, containerPath.slice(m.target.length + 1));
  }
  return undefined;
}
