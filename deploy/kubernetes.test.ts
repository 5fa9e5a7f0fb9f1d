/**
 * deploy/kubernetes/ cannot be applied here (no cluster): this checks what would break it. Every manifest
 * parses, has a known kind with its apiVersion and the fields that kind needs, and every name one object uses
 * (a Secret's key, a ConfigMap, a volume, a container port, a Service's pods) is one another object declares.
 * The config is the one a replica runs: the ConfigMap's file at the path `serve --config` names, loaded by the
 * exporter's real config loader with the container's environment as the pod would have it (the node name from
 * spec.nodeName, the password from the Secret); the ports, probes and mounts are checked against that config.
 * The push replicas' config is checked against the DaemonSet's (one ledger, the same budgets and tokens) and
 * their ports; API tokens are hashes in the config and raw only in the Secret the senders use. Every object
 * is valid by the Kubernetes and Prometheus Operator schemas, and the PrometheusRule is alerting/'s generated one.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_EXPORTER_JOB } from '../alerting/src/exporterRules';
import { GENERATED_PATHS } from '../alerting/src/generatedFiles';
import { hashToken } from '../exporter/src/auth/apiTokens';
import { Config, loadConfig, parseListen } from '../exporter/src/config/config';
import { loadPriceBooks } from '../exporter/src/pricing/loadPriceBook';
import { stages } from './dockerfile';
import { validateAgainstSchemas } from './schemas';

const DIR = join(__dirname, 'kubernetes');
const REPO = join(__dirname, '..');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  file: string;
  [field: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  securityContext?: {
    runAsUser?: number;
    runAsGroup?: number;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}
interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string };
  emptyDir?: object;
  hostPath?: { path: string };
}
interface Workload extends Manifest {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { initContainers?: Container[]; containers: Container[]; volumes?: Volume[] };
    };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}
interface Service extends Manifest {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
}
interface TokenEntry {
  name: string;
  role?: string;
  sha256: string;
}

/** The kinds the fleet uses, with their apiVersion and the fields each needs. */
const KINDS: Record<string, { apiVersion: string; required: string[] }> = {
  Secret: { apiVersion: 'v1', required: ['stringData'] },
  ConfigMap: { apiVersion: 'v1', required: ['data'] },
  Service: { apiVersion: 'v1', required: ['spec.selector', 'spec.ports'] },
  DaemonSet: { apiVersion: 'apps/v1', required: ['spec.selector', 'spec.template.spec.containers'] },
  Deployment: { apiVersion: 'apps/v1', required: ['spec.selector', 'spec.template.spec.containers'] },
  StatefulSet: {
    apiVersion: 'apps/v1',
    required: ['spec.serviceName', 'spec.selector', 'spec.template.spec.containers'],
  },
  ServiceMonitor: { apiVersion: 'monitoring.coreos.com/v1', required: ['spec.selector', 'spec.endpoints'] },
  PrometheusRule: { apiVersion: 'monitoring.coreos.com/v1', required: ['spec.groups'] },
};

const at = (o: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

const yamlFiles = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const parsed = yamlFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc, index) => ({ file, index, doc }))
);
const kustomization = parsed.find((p) => p.file === 'kustomization.yaml')!.doc.toJS() as { resources: string[] };
const manifests: Manifest[] = parsed
  .filter((p) => p.file !== 'kustomization.yaml')
  .map((p) => ({ ...(p.doc.toJS() as Omit<Manifest, 'file'>), file: p.file }) as Manifest);

function one<T extends Manifest>(kind: string, name: string): T {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`${found.length} ${kind}s named ${name} in deploy/kubernetes`);
  return found[0] as T;
}
const workloads = manifests.filter(
  (m): m is Workload => m.kind === 'DaemonSet' || m.kind === 'Deployment' || m.kind === 'StatefulSet'
);
const services = manifests.filter((m): m is Service => m.kind === 'Service');
const podsOf = (s: Service) =>
  workloads.filter((w) => Object.entries(s.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));

const daemonSet = one<Workload>('DaemonSet', 'tokenledger');
const pod = daemonSet.spec.template.spec;
const tokenledger = pod.containers.find((c) => c.name === 'tokenledger')!;
const configArg = tokenledger.args![tokenledger.args!.indexOf('--config') + 1]!;
const configMap = one<Manifest & { data: Record<string, string> }>('ConfigMap', 'tokenledger-config');
const deployment = one<Workload>('Deployment', 'tokenledger-push');
/** The workloads that run `tokenledger serve`, with their tokenledger container. */
const replicas = [daemonSet, deployment].map((w) => ({
  workload: w,
  container: w.spec.template.spec.containers.find((c) => c.name === 'tokenledger')!,
}));

/** The ConfigMap key a container path is, when the ConfigMap is mounted as a directory there. */
function configMapFileAt(c: Container, path: string): string | undefined {
  for (const m of c.volumeMounts ?? []) {
    const volume = pod.volumes!.find((v) => v.name === m.name);
    if (volume?.configMap?.name === configMap.metadata.name && posix.dirname(path) === m.mountPath)
      return configMap.data[posix.basename(path)];
  }
  return undefined;
}

/** The mount of `c` a container path lies in (the longest one). */
const mountOf = (c: Container, path: string) =>
  (c.volumeMounts ?? [])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];

/** What a secretKeyRef in a pod resolves to. */
function secretValue(ref: { name: string; key: string }): string {
  const secret = one<Manifest & { stringData: Record<string, string> }>('Secret', ref.name);
  const value = secret.stringData[ref.key];
  if (value === undefined) throw new Error(`Secret ${ref.name} has no key ${ref.key}`);
  return value;
}

const NODE_NAME = 'gke-fleet-pool-1-7f3a9c';

/** What an environment variable of the tokenledger container is, in its pod on the node NODE_NAME. */
function envValue(e: EnvVar): string {
  if (e.value !== undefined) return e.value;
  if (e.valueFrom?.secretKeyRef) return secretValue(e.valueFrom.secretKeyRef);
  if (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') return NODE_NAME;
  throw new Error(`env ${e.name}: neither a value, a Secret's key nor spec.nodeName`);
}

/**
 * Loads the config `serve --config` names as the replica on NODE_NAME would: the ConfigMap's files written
 * where the container mounts the ConfigMap (its container paths mapped under `dir`), the container's
 * environment set.
 */
function replicaConfig(dir: string): Config {
  const mount = mountOf(tokenledger, configArg);
  if (configMapFileAt(tokenledger, configArg) === undefined || mount === undefined)
    throw new Error(`--config ${configArg} is not a file of the ConfigMap ${configMap.metadata.name}`);
  mkdirSync(join(dir, mount.mountPath), { recursive: true });
  for (const [key, text] of Object.entries(configMap.data)) writeFileSync(join(dir, mount.mountPath, key), text);

  const env = Object.fromEntries((tokenledger.env ?? []).map((e) => [e.name, envValue(e)]));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return loadConfig(join(dir, configArg));
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('deploy/kubernetes', () => {
  it('lists every manifest file in kustomization.yaml, and nothing else', () => {
    expect([...kustomization.resources].sort()).toEqual(yamlFiles.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it.each(parsed.map((p) => [`${p.file} (document ${p.index + 1})`, p] as const))('%s parses as YAML', (_what, p) => {
    expect(p.doc.errors.map((e) => e.message)).toEqual([]);
  });

  it.each(manifests.map((m) => [`${m.file}: ${m.kind}/${m.metadata?.name}`, m] as const))(
    '%s has a known kind, its apiVersion, a DNS name and the fields it needs',
    (_what, m) => {
      const kind = KINDS[m.kind];
      expect(kind).toBeDefined();
      expect(m.apiVersion).toBe(kind!.apiVersion);
      expect(m.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      for (const field of kind!.required) expect([field, at(m, field) !== undefined]).toEqual([field, true]);
    }
  );

  it.each(workloads.map((w) => [w.metadata.name, w] as const))(
    '%s: selects its own pods, and every mount, Secret and ConfigMap it names exists',
    (_name, w) => {
      const spec = w.spec.template.spec;
      expect(w.spec.template.metadata.labels).toEqual(expect.objectContaining(w.spec.selector.matchLabels));
      const volumes = [
        ...(spec.volumes ?? []).map((v) => v.name),
        ...(w.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name),
      ];
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(c.image).toMatch(/\S/);
        for (const m of c.volumeMounts ?? []) expect(volumes).toContain(m.name);
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef) expect(secretValue(e.valueFrom.secretKeyRef)).toBeTruthy();
      }
      for (const v of spec.volumes ?? []) {
        if (v.configMap) expect(one('ConfigMap', v.configMap.name)).toBeDefined();
        if (v.secret) expect(one('Secret', v.secret.secretName)).toBeDefined();
      }
    }
  );

  it.each(services.map((s) => [s.metadata.name, s] as const))(
    'Service %s selects pods whose container has each port it targets',
    (_name, s) => {
      const targets = podsOf(s);
      expect(targets.length).toBeGreaterThan(0);
      for (const w of targets)
        for (const p of s.spec.ports) {
          const ports = w.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
          expect(ports.find((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort)).toBeDefined();
        }
    }
  );

  it('scrapes every replica, ready or not, under the job the shipped alerts expect', () => {
    const monitor = one<
      Manifest & {
        spec: {
          jobLabel: string;
          selector: { matchLabels: Record<string, string> };
          endpoints: { port: string; path: string }[];
        };
      }
    >('ServiceMonitor', 'tokenledger');
    const scraped = services.filter((s) =>
      Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v)
    );
    expect(scraped.map((s) => s.metadata.name)).toEqual(['tokenledger-metrics']);
    const metrics = scraped[0]!;
    expect(podsOf(metrics)).toEqual([daemonSet, deployment]);
    expect((metrics.spec as { publishNotReadyAddresses?: boolean }).publishNotReadyAddresses).toBe(true);
    expect(metrics.metadata.labels?.[monitor.spec.jobLabel]).toBe(DEFAULT_EXPORTER_JOB);
    for (const e of monitor.spec.endpoints) {
      expect(metrics.spec.ports.map((p) => p.name)).toContain(e.port);
      expect(e.path).toBe('/metrics');
    }
  });

  describe('a replica', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-deploy-'));
    let replica: { config: Config; dir: string };
    beforeAll(() => (replica = { config: replicaConfig(dir), dir }));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("gets the shared PostgreSQL ledger, its password from the Secret, and its Kubernetes node's name", () => {
      const { ledger, node } = replica.config;
      expect(node).toBe(NODE_NAME);
      expect(tokenledger.env).toContainEqual({
        name: 'NODE_NAME',
        valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
      });
      if (ledger.engine !== 'postgres') throw new Error(`the ledger is ${ledger.engine}, not PostgreSQL`);
      expect(ledger.password).toBe(secretValue({ name: 'tokenledger-postgres', key: 'password' }));
      expect(ledger.pool).toBeGreaterThan(0);
    });

    it('reaches the example PostgreSQL by its Service, with the role and database it creates', () => {
      const { ledger } = replica.config;
      if (ledger.engine !== 'postgres') throw new Error(`the ledger is ${ledger.engine}, not PostgreSQL`);
      const url = new URL(ledger.url);
      const service = one<Service>('Service', url.hostname);
      expect(service.spec.ports.map((p) => p.port)).toContain(Number(url.port));
      const postgres = podsOf(service)[0]!.spec.template.spec.containers[0]!;
      const env = Object.fromEntries((postgres.env ?? []).map((e) => [e.name, e]));
      expect([env['POSTGRES_USER']?.value, env['POSTGRES_DB']?.value]).toEqual([url.username, url.pathname.slice(1)]);
      expect(env['POSTGRES_PASSWORD']?.valueFrom?.secretKeyRef).toEqual({
        name: 'tokenledger-postgres',
        key: 'password',
      });
    });

    it('listens on every interface, on the container port the probes and Services use', () => {
      const { listen } = replica.config;
      expect(listen.host).toBe('0.0.0.0');
      const http = tokenledger.ports!.find((p) => p.name === 'http')!;
      expect(http.containerPort).toBe(listen.port);
      expect(
        [tokenledger.startupProbe, tokenledger.livenessProbe, tokenledger.readinessProbe].map((p) => p?.httpGet)
      ).toEqual([
        { path: '/healthz', port: 'http' },
        { path: '/healthz', port: 'http' },
        { path: '/readyz', port: 'http' },
      ]);
    });

    it("reads the ConfigMap's file where it follows the ConfigMap's changes, and its price book from there", () => {
      expect(tokenledger.args![0]).toBe('serve');
      // A subPath mount is a copy made at pod start: the kubelet's updates of the ConfigMap never reach it.
      expect(mountOf(tokenledger, configArg)?.subPath).toBeUndefined();
      expect(replica.config.watchConfig).toBe(true);
      // Paths in the config are container paths; the ConfigMap's files lie at the same paths under the temp dir.
      for (const file of replica.config.priceFiles) {
        expect([file, configMapFileAt(tokenledger, file) !== undefined]).toEqual([file, true]);
        expect(loadPriceBooks([join(replica.dir, file)]).warnings).toEqual([]);
      }
    });

    it('tails gateway logs from a mounted host directory and writes its reject file to a writable one', () => {
      const patterns = replica.config.sources.flatMap((s) => s.paths);
      expect(patterns.length).toBeGreaterThan(0);
      for (const pattern of patterns) {
        const mount = mountOf(tokenledger, posix.dirname(pattern));
        expect([pattern, mount?.name]).toEqual([pattern, 'gateway-logs']);
        expect(pod.volumes!.find((v) => v.name === mount!.name)?.hostPath).toBeDefined();
      }
      const rejects = replica.config.rejectsFile;
      const mount = mountOf(tokenledger, posix.dirname(rejects));
      expect([rejects, mount?.readOnly ?? false]).toEqual([rejects, false]);
    });
  });

  it('marks the image as a placeholder in every container that runs it, and deploy/README.md says how to build it', () => {
    expect(tokenledger.image).toMatch(/REPLACE-ME/);
    for (const w of [daemonSet, deployment])
      for (const c of [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers])
        expect([w.metadata.name, c.name, c.image]).toEqual([w.metadata.name, c.name, tokenledger.image]);
    const readme = readFileSync(join(__dirname, 'README.md'), 'utf8');
    expect(readme).toContain(tokenledger.image);
    expect(readme).toContain('docker build -f deploy/docker/Dockerfile');
  });
});

describe('deploy/kubernetes by the Kubernetes and Prometheus Operator schemas', () => {
  const results = validateAgainstSchemas(
    manifests.map(({ file: _file, ...object }) => object),
    REPO
  );
  it.each(results.map((r) => [r.object, r] as const))('%s is valid', (_object, r) => {
    expect(r.errors).toEqual([]);
  });

  it('finds what the schemas forbid', () => {
    // The validator is not a no-op: a wrong type and an unknown enum value are reported.
    const broken = {
      ...deployment,
      file: undefined,
      spec: { ...deployment.spec, replicas: 'two', strategy: { type: 'Sometimes' } },
    };
    expect(validateAgainstSchemas([broken], REPO)[0]!.errors).toEqual(
      expect.arrayContaining([expect.stringContaining('spec/replicas'), expect.stringContaining('spec/strategy/type')])
    );
  });
});

describe('the PrometheusRule', () => {
  it("is alerting/'s generated resource, with the rule file's groups (npm run alerting:generate writes both)", () => {
    const rule = one<Manifest & { spec: { groups: unknown[] } }>('PrometheusRule', 'tokenledger');
    expect(`deploy/kubernetes/${rule.file}`).toBe(GENERATED_PATHS.deployPrometheusRule);
    const ruleFile = parse(readFileSync(join(REPO, GENERATED_PATHS.ruleFile), 'utf8')) as { groups: unknown[] };
    expect(rule.spec.groups).toEqual(ruleFile.groups);
    expect(readFileSync(join(DIR, rule.file), 'utf8')).toBe(
      readFileSync(join(REPO, GENERATED_PATHS.prometheusRule), 'utf8')
    );
  });
});

describe('the push replicas (deployment.yaml)', () => {
  const push = deployment.spec.template.spec.containers.find((c) => c.name === 'tokenledger')!;
  const pushFile = push.args![push.args!.indexOf('--config') + 1]!;
  const pushConfig = parse(configMap.data[posix.basename(pushFile)]!) as Record<string, unknown>;
  const nodeConfig = parse(configMap.data[posix.basename(configArg)]!) as Record<string, unknown>;
  const pushService = one<Service>('Service', 'tokenledger-push');

  it("read the ConfigMap's push.yaml where the ConfigMap is mounted as a directory", () => {
    expect(push.args!.slice(0, 1)).toEqual(['serve']);
    const mount = push.volumeMounts!.find((m) => m.mountPath === posix.dirname(pushFile))!;
    expect(mount.subPath).toBeUndefined();
    const volume = deployment.spec.template.spec.volumes!.find((v) => v.name === mount.name);
    expect(volume?.configMap?.name).toBe(configMap.metadata.name);
  });

  it("share the DaemonSet's ledger, prices, identities and budgets, and are each named by their pod's name", () => {
    for (const key of ['ledger', 'prices', 'identities', 'budgets', 'time_zone', 'default_tier'])
      expect([key, pushConfig[key]]).toEqual([key, nodeConfig[key]]);
    const nodeEnv = pushConfig['node_env'] as string;
    expect(push.env).toContainEqual({ name: nodeEnv, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(push.env).toContainEqual(tokenledger.env!.find((e) => e.name === 'TL_PG_PASSWORD'));
    // the two controllers never select each other's pods
    expect(
      Object.entries(deployment.spec.selector.matchLabels).every(
        ([k, v]) => daemonSet.spec.template.metadata.labels[k] === v
      )
    ).toBe(false);
    expect(
      Object.entries(daemonSet.spec.selector.matchLabels).every(
        ([k, v]) => deployment.spec.template.metadata.labels[k] === v
      )
    ).toBe(false);
  });

  it('listen for pushes and the enforcement doors on the ports their Service targets', () => {
    const fail = (expected: string): never => {
      throw new Error(expected);
    };
    const listen = parseListen(pushConfig['listen'] as string, fail);
    const grpc = parseListen((pushConfig['enforcement'] as { grpc_listen: string }).grpc_listen, fail);
    expect([listen.host, grpc.host]).toEqual(['0.0.0.0', '0.0.0.0']);
    const port = (name: string) => push.ports!.find((p) => p.name === name)?.containerPort;
    expect([port('http'), port('grpc')]).toEqual([listen.port, grpc.port]);
    expect(podsOf(pushService)).toEqual([deployment]);
    expect(pushService.spec.ports.map((p) => [p.name, p.targetPort])).toEqual([
      ['http', 'http'],
      ['grpc', 'grpc'],
    ]);
  });
});

describe('API tokens', () => {
  const tokens = one<Manifest & { stringData: Record<string, string> }>('Secret', 'tokenledger-tokens');
  const configTokens = (file: string) =>
    ((parse(configMap.data[file]!) as { auth: { tokens: TokenEntry[] } }).auth.tokens ?? []).map((t) => ({
      ...t,
      role: t.role ?? 'scoped',
    }));

  it("are in the config as hashes of the Secret's tokens: an ingest token per sender, Grafana's admin token", () => {
    const push = configTokens('push.yaml');
    const byHash = (raw: string) => push.find((t) => t.sha256 === hashToken(raw));
    expect(Object.keys(tokens.stringData).map((k) => [k, byHash(tokens.stringData[k]!)?.name])).toEqual(
      Object.keys(tokens.stringData).map((k) => [k, k])
    );
    expect(push.map((t) => [t.name, t.role])).toEqual([
      ['grafana', 'admin'],
      ['litellm', 'ingest'],
      ['kong', 'ingest'],
      ['otel-collector', 'ingest'],
    ]);
    // the DaemonSet's replicas take the same tokens, except that nothing pushes to them
    expect(configTokens('tokenledger.yaml')).toEqual(push.filter((t) => t.role !== 'ingest'));
  });

  it('never reach TokenLedger raw: no replica uses the Secret, and no config holds a raw token', () => {
    for (const { workload, container } of replicas) {
      const spec = workload.spec.template.spec;
      expect(spec.volumes?.filter((v) => v.secret?.secretName === tokens.metadata.name) ?? []).toEqual([]);
      expect((container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef?.name === tokens.metadata.name)).toEqual([]);
    }
    for (const text of Object.values(configMap.data))
      for (const raw of Object.values(tokens.stringData)) expect(text).not.toContain(raw);
  });
});

describe('the image user', () => {
  const dockerfile = stages(readFileSync(join(REPO, 'deploy/docker/Dockerfile'), 'utf8'));
  const user = dockerfile[dockerfile.length - 1]!.instructions.filter((i) => i.keyword === 'USER').pop()!.args;
  const [uid, gid] = user.split(':').map(Number);

  it("runs every replica as the image's non-root user", () => {
    for (const { workload, container } of replicas)
      expect([workload.metadata.name, container.securityContext]).toEqual([
        workload.metadata.name,
        expect.objectContaining({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid }),
      ]);
  });

  it("gives the image's user the DaemonSet's reject directory on the node, root only for that and with no other capability", () => {
    const init = pod.initContainers ?? [];
    expect(init.map((c) => c.name)).toEqual(['state-owner']);
    const owner = init[0]!;
    const rejectsDir = posix.dirname(
      (parse(configMap.data[posix.basename(configArg)]!) as { rejects_file: string }).rejects_file
    );
    expect(owner.command).toEqual(['chown', `${uid}:${gid}`, rejectsDir]);
    expect(owner.securityContext?.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN'] });
    const mount = mountOf(owner, rejectsDir)!;
    expect(mount.mountPath).toBe(rejectsDir);
    expect(mount.name).toBe(mountOf(tokenledger, rejectsDir)!.name);
  });
});
