/**
 * docker-compose.yaml's `tokenledger` service, without Docker: it builds the image from deploy/docker/Dockerfile
 * (never mounts the host's node_modules, which are built for the host's platform), runs the image's own command,
 * and the config it mounts is valid and consistent with the image and the mounts: the port it listens on is the
 * one published, exposed and health-checked; prices and logs are mounted where the config reads them; the ledger
 * lies in a named volume at the directory the image's user owns. (dashboards/compose.test.ts checks the rest of
 * the stack.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { loadConfig } from '../exporter/src/config/config';
import { compose, ComposeService, hostPath, mounts, REPO } from '../dashboards/test/provisioning';
import { execForm, stages } from './dockerfile';

interface BuiltService extends ComposeService {
  build?: { context: string; dockerfile: string } | string;
  entrypoint?: unknown;
  healthcheck?: unknown;
}

const service = compose().services['tokenledger'] as BuiltService;
const serviceMounts = mounts(service);
const build = typeof service.build === 'string' ? { context: service.build, dockerfile: 'Dockerfile' } : service.build;
const dockerfilePath = build ? resolve(REPO, build.context, build.dockerfile) : '';
const image = stages(readFileSync(dockerfilePath, 'utf8'));
const final = image[image.length - 1]!;
const lastOf = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).pop()!.args;
const imageCommand = execForm(lastOf('CMD'));
const containerConfig = imageCommand[imageCommand.indexOf('--config') + 1]!;
const configFile = hostPath(service, containerConfig);
const config = loadConfig(configFile!);
/** A path of the config as the container sees it (loadConfig resolved relative paths on this machine). */
const inContainer = (path: string) => path.replace(dirname(configFile!), posix.dirname(containerConfig));
const mountOf = (containerPath: string) =>
  serviceMounts
    .filter((m) => containerPath === m.target || containerPath.startsWith(`${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];

describe('docker-compose.yaml: tokenledger', () => {
  it('builds the image from deploy/docker/Dockerfile, with the repository as its context', () => {
    expect(build).toEqual({ context: '.', dockerfile: 'deploy/docker/Dockerfile' });
    expect(resolve(REPO, build!.context)).toBe(REPO);
    expect(existsSync(dockerfilePath)).toBe(true);
    expect(existsSync(join(REPO, build!.context, '.dockerignore'))).toBe(true);
    // the image it builds is the one it runs, not a stock Node.js image with the checkout mounted into it
    expect(service.image).not.toMatch(/^node:/);
  });

  it("mounts neither the host's node_modules nor its build, and runs the image's own command", () => {
    for (const m of serviceMounts.filter((x) => x.bind)) {
      expect([m.source, /node_modules|(^|\/)exporter(\/|$)|dist/.test(m.source)]).toEqual([m.source, false]);
      expect([m.target, m.target === '/app' || m.target.startsWith('/app/')]).toEqual([m.target, false]);
    }
    expect([service.command, service.entrypoint]).toEqual([undefined, undefined]);
    expect(imageCommand[0]).toBe('serve');
  });

  it('mounts a valid config where the command reads it, which listens on the port compose publishes and the image exposes and checks', () => {
    expect(configFile).toBe(join(REPO, 'examples/docker/tokenledger.yaml'));
    expect(mountOf(containerConfig)?.target).toBe(containerConfig);
    const { host, port } = config.listen;
    expect(host).toBe('0.0.0.0');
    expect(service.ports).toContain(`${port}:${port}`);
    expect(Number(lastOf('EXPOSE'))).toBe(port);
    // the image's HEALTHCHECK applies (compose does not replace it), on the config's port
    expect(service.healthcheck).toBeUndefined();
    const env = final.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args);
    expect(env).toContain(`TOKENLEDGER_HEALTHCHECK_URL=http://127.0.0.1:${port}/healthz`);
  });

  it('mounts the price books and gateway logs read-only where the config reads them', () => {
    const readOnly = (containerPath: string) =>
      service.volumes!.some((v) => v.includes(`:${mountOf(containerPath)!.target}:ro`));
    for (const prices of config.priceFiles) {
      expect(existsSync(hostPath(service, inContainer(prices))!)).toBe(true);
      expect([prices, readOnly(inContainer(prices))]).toEqual([prices, true]);
    }
    for (const pattern of config.sources.flatMap((s) => s.paths)) {
      const dir = hostPath(service, posix.dirname(pattern));
      expect([pattern, dir !== undefined && readOnly(posix.dirname(pattern))]).toEqual([pattern, true]);
      const suffix = basename(pattern).replace('*', '');
      expect([pattern, readdirSync(dir!).some((f) => f.endsWith(suffix))]).toEqual([pattern, true]);
    }
  });

  it("keeps the ledger and the reject file in a named volume at the directory the image's user owns", () => {
    const ledger = config.ledger;
    if (ledger.engine !== 'duckdb') throw new Error(`the compose ledger is ${ledger.engine}, not DuckDB`);
    const user = lastOf('USER');
    // A new named volume takes the owner of the image's directory it is mounted on: the one the image chowns.
    const owned = final.instructions
      .filter((i) => i.keyword === 'RUN')
      .flatMap((i) => [...i.args.matchAll(/chown (\S+) (\S+)/g)])
      .filter((m) => m[1] === user)
      .map((m) => m[2]);
    for (const path of [ledger.path, config.rejectsFile]) {
      const mount = mountOf(posix.dirname(path));
      expect([path, mount?.bind, mount?.target]).toEqual([path, false, posix.dirname(path)]);
      expect(Object.keys(compose().volumes ?? {})).toContain(mount!.source);
      expect(owned).toContain(mount!.target);
    }
  });
});
