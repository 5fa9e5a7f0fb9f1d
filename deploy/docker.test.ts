/**
 * deploy/docker/Dockerfile cannot be built here (no Docker engine in CI): this checks what would break the
 * image. The stages and their Node.js image, the user it runs as, where its node_modules come from (production
 * dependencies only, installed on the target platform, with every platform's DuckDB binding in the lock file),
 * that every file it copies exists and is let in by .dockerignore, that its entrypoint is the file the
 * exporter's build writes, and that its port and health check are the ones the shipped configs listen on.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../exporter/src/config/config';
import { copyOf, dockerIgnores, execForm, Instruction, Stage, stages } from './dockerfile';

const REPO = join(__dirname, '..');
const DOCKERFILE = 'deploy/docker/Dockerfile';
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

const all = stages(read(DOCKERFILE));
const final = all[all.length - 1]!;
const ignored = dockerIgnores(read('.dockerignore'));
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: Stage, keyword: string): Instruction | undefined => of(stage, keyword).pop();
const stageNamed = (name: string) => {
  const found = all.find((s) => s.name === name);
  if (!found) throw new Error(`${DOCKERFILE} has no stage named ${name}`);
  return found;
};
const runs = (stage: Stage) => of(stage, 'RUN').map((i) => i.args);
/** The stage's WORKDIR when `ins` runs. */
const workdirAt = (stage: Stage, ins: Instruction) =>
  stage.instructions
    .filter((i) => i.keyword === 'WORKDIR' && i.line < ins.line)
    .map((i) => i.args)
    .pop() ?? '/';

/**
 * Node.js release lines with their end of life (nodejs/Release README.md, "Release schedule"; from October
 * 2026 on every major becomes LTS: nodejs.org/en/blog/announcements/evolving-the-nodejs-release-schedule).
 */
const NODE_LTS_END_OF_LIFE: Record<number, string> = {
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
  26: '2029-04-30',
};

/** Every file under a repository path (itself, if it is a file). */
function filesUnder(path: string): string[] {
  if (!statSync(join(REPO, path)).isDirectory()) return [path];
  return readdirSync(join(REPO, path)).flatMap((f) => filesUnder(posix.join(path, f)));
}

interface LockPackage {
  dev?: boolean;
  optional?: boolean;
  hasInstallScript?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockPackage> };

/** Where node resolves `name` from the lock entry at `from` (its own node_modules, then each parent's). */
function resolveInLock(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
  }
}

/** The lock entries `npm ci -w exporter --omit=dev` installs on any platform (the exporter's production closure). */
function exporterProductionPackages(): string[] {
  const seen = new Set<string>();
  const visit = (path: string) => {
    const pkg = lock.packages[path]!;
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const found = resolveInLock(path, name);
      if (found === undefined) {
        if (pkg.optionalDependencies?.[name]) continue; // an optional package the lock does not hold
        throw new Error(`package-lock.json: ${path} needs ${name}, which it does not hold`);
      }
      if (!seen.has(found)) {
        seen.add(found);
        visit(found);
      }
    }
  };
  visit('exporter');
  return [...seen].sort();
}

describe('deploy/docker/Dockerfile', () => {
  it('builds in stages from one Node.js LTS image on Debian slim (glibc), the final stage unnamed', () => {
    expect(all.map((s) => s.name)).toEqual(['build', 'deps', undefined]);
    const images = new Set(all.map((s) => s.image));
    expect([...images]).toHaveLength(1);
    const m = /^node:(\d+)-(bookworm|trixie)-slim$/.exec(final.image);
    expect([final.image, m !== null]).toEqual([final.image, true]);
    const major = Number(m![1]);
    const minimum = Number(
      />=(\d+)/.exec((JSON.parse(read('exporter/package.json')) as { engines: { node: string } }).engines.node)![1]
    );
    expect(major).toBeGreaterThanOrEqual(minimum);
    // An LTS line, not past its end of life: this fails on the day it is, as a reminder to move the image on.
    const endOfLife = NODE_LTS_END_OF_LIFE[major];
    expect([major, endOfLife !== undefined && Date.parse(endOfLife) > Date.now()]).toEqual([major, true]);
  });

  it('runs as a numeric non-root user (which runAsNonRoot can verify)', () => {
    const user = last(final, 'USER')?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    // nothing after USER switches back or runs as root
    const after = final.instructions.filter((i) => i.line > last(final, 'USER')!.line);
    expect(after.filter((i) => i.keyword === 'USER' || i.keyword === 'RUN')).toEqual([]);
  });

  it('takes its node_modules from a stage that installs production dependencies only, on the target platform', () => {
    const copies = of(final, 'COPY').map(copyOf);
    // the final stage installs nothing itself
    expect(runs(final).filter((r) => /\bnpm\s+(ci|install|i)\b/.test(r))).toEqual([]);
    const depsCopy = copies.find((c) => c.destination === '/app');
    expect(depsCopy?.from).toBe('deps');
    const deps = stageNamed('deps');
    const installs = runs(deps).filter((r) => /\bnpm\s+ci\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/--omit=dev\b/);
    expect(installs[0]).toMatch(/-w exporter\b/);
    expect(installs[0]).not.toMatch(/--include-workspace-root/);
    // On the target platform: a --platform=$BUILDPLATFORM stage would install the build machine's DuckDB binding.
    expect(deps.platform).toBeUndefined();
    // and the build stops there when npm installed no binding for the platform
    expect(runs(deps)).toContain(`node -e "require('@duckdb/node-api')"`);
    // From the build stage only the compiled JavaScript, which is the same on every platform.
    const fromBuild = copies.filter((c) => c.from === 'build');
    expect(fromBuild.map((c) => c.sources)).toEqual([['/src/exporter/dist']]);
    expect(stageNamed('build').platform).toBe('$BUILDPLATFORM');
  });

  it("holds DuckDB's glibc binding for each Linux architecture the image is built for", () => {
    // What `npm ci` on linux/amd64 and linux/arm64 installs: the lock's entry for that os, cpu and libc.
    const bindings = Object.entries(lock.packages).filter(([path]) =>
      path.startsWith('node_modules/@duckdb/node-bindings-')
    );
    const platformsInDockerfile = [...read(DOCKERFILE).matchAll(/--platform (\S+)/g)].flatMap((m) => m[1]!.split(','));
    expect(platformsInDockerfile).toEqual(['linux/amd64', 'linux/arm64']);
    for (const platform of platformsInDockerfile) {
      const cpu = { 'linux/amd64': 'x64', 'linux/arm64': 'arm64' }[platform]!;
      const binding = bindings.filter(
        ([, p]) => p.os?.includes('linux') && p.cpu?.includes(cpu) && p.libc?.includes('glibc')
      );
      expect([platform, binding.map(([path]) => path)]).toEqual([
        platform,
        [`node_modules/@duckdb/node-bindings-linux-${cpu}`],
      ]);
    }
  });

  it('skips install scripts no production dependency needs (npm ci --ignore-scripts)', () => {
    const withScripts = exporterProductionPackages().filter((p) => lock.packages[p]!.hasInstallScript);
    // protobufjs 7 (under @grpc/proto-loader) has a postinstall that only warns about its CLI's version: the
    // exporter does not use that CLI. A new entry here is a package whose install script must be looked at.
    expect(withScripts).toEqual(['node_modules/@grpc/proto-loader/node_modules/protobufjs']);
    expect(runs(stageNamed('deps')).filter((r) => /\bnpm\s+ci\b/.test(r))[0]).toMatch(/--ignore-scripts/);
  });

  it('copies only files that exist in the repository and that .dockerignore lets into the build context', () => {
    const sources = all.flatMap((s) => of(s, 'COPY').map(copyOf)).filter((c) => c.from === undefined);
    expect(sources.length).toBeGreaterThan(0);
    for (const copy of sources)
      for (const source of copy.sources) {
        expect([source, existsSync(join(REPO, source))]).toEqual([source, true]);
        const sent = filesUnder(source).filter((f) => !ignored(f));
        expect([source, sent.length > 0]).toEqual([source, true]);
      }
    // the sources tsc compiles are sent, their tests and the host's node_modules and builds are not
    const src = filesUnder('exporter/src');
    expect(src.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).filter(ignored)).toEqual([]);
    expect(src.filter((f) => f.endsWith('.test.ts')).every(ignored)).toBe(true);
    for (const path of [
      'node_modules/yaml/package.json',
      'exporter/dist/cli.js',
      'data/ledger.duckdb',
      'examples/logs',
    ])
      expect([path, ignored(path)]).toEqual([path, true]);
  });

  it('runs the file `npm run build -w exporter` writes, as `tokenledger serve --config /etc/tokenledger/tokenledger.yaml`', () => {
    const exporter = JSON.parse(read('exporter/package.json')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    const build = /^tsc -p (\S+)$/.exec(exporter.scripts['build']!);
    expect(build).not.toBeNull();
    const tsconfig = JSON.parse(read(posix.join('exporter', build![1]!))) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    // src/cli.ts compiles to <outDir>/cli.js, the package's `tokenledger` bin
    expect(existsSync(join(REPO, 'exporter', tsconfig.compilerOptions.rootDir, 'cli.ts'))).toBe(true);
    const cli = posix.join(tsconfig.compilerOptions.outDir, 'cli.js');
    expect(exporter.bin['tokenledger']).toBe(cli);

    const buildStage = stageNamed('build');
    const buildRun = of(buildStage, 'RUN').find((i) => i.args === 'npm run build -w exporter');
    expect(buildRun).toBeDefined();
    const outDir = posix.join(workdirAt(buildStage, buildRun!), 'exporter', tsconfig.compilerOptions.outDir);
    const distCopy = of(final, 'COPY')
      .map(copyOf)
      .find((c) => c.from === 'build')!;
    expect(distCopy.sources).toEqual([outDir]);
    expect(execForm(last(final, 'ENTRYPOINT')!.args)).toEqual([
      'node',
      posix.join(distCopy.destination, posix.relative(tsconfig.compilerOptions.outDir, cli)),
    ]);
    expect(execForm(last(final, 'CMD')!.args)).toEqual(['serve', '--config', '/etc/tokenledger/tokenledger.yaml']);
  });

  it('exposes the port the shipped configs listen on, and checks /healthz there', () => {
    const exposed = last(final, 'EXPOSE')!.args;
    expect(exposed).toMatch(/^\d+$/);
    const env = Object.fromEntries(of(final, 'ENV').map((i) => i.args.split('=', 2) as [string, string]));
    const url = new URL(env['TOKENLEDGER_HEALTHCHECK_URL']!);
    expect([url.hostname, url.port, url.pathname]).toEqual(['127.0.0.1', exposed, '/healthz']);
    const healthcheck = last(final, 'HEALTHCHECK')!.args;
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD ') + 'CMD '.length));
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain('process.env.TOKENLEDGER_HEALTHCHECK_URL');

    // docker-compose's config, and the Kubernetes container ports (their own tests tie those to their configs)
    const compose = loadConfig(join(REPO, 'examples/docker/tokenledger.yaml'));
    expect([compose.listen.host, compose.listen.port]).toEqual(['0.0.0.0', Number(exposed)]);
    for (const file of ['deploy/kubernetes/daemonset.yaml']) {
      const workload = parse(read(file)) as {
        spec: { template: { spec: { containers: { name: string; ports: { containerPort: number }[] }[] } } };
      };
      const container = workload.spec.template.spec.containers.find((c) => c.name === 'tokenledger')!;
      expect([file, container.ports[0]!.containerPort]).toEqual([file, Number(exposed)]);
    }
  });
});
