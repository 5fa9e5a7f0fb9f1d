/**
 * A real PostgreSQL for integration tests (Debian package `postgresql`): `initdb` into a fresh temporary
 * directory, the server started on its own loopback port, waited for with a bound, killed, restarted and
 * stopped by PID. Every test file starts its own cluster, so files running in parallel never share one.
 *
 * Authentication: every TCP connection needs a password (scram-sha-256), so `url()` (role `tokenledger`,
 * password `secret`) is the way TokenLedger connects and a wrong password fails as it would in production.
 * The unix socket sits inside the cluster's private directory (reachable only by its owner and root) and
 * trusts everyone: the harness administers the cluster through it as the superuser `postgres`
 * (`adminConfig()`).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client, ClientConfig } from 'pg';
import { tempDir, waitFor } from './helpers';

/** The password-protected role `url()` connects as; it owns the databases the harness creates. */
export const PG_USER = 'tokenledger';
export const PG_PASSWORD = 'secret';
/** The database created at start, owned by `PG_USER`; `url()` without an argument names it. */
export const PG_DATABASE = 'tokenledger';

const SUPERUSER = 'postgres';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const KILL_TIMEOUT_MS = 10_000;
const LOG_KEEP_CHARS = 64 * 1024;

export interface RunningPostgres {
  /** The TCP port on 127.0.0.1; the same after `restart()`. */
  readonly port: number;
  /** The postmaster's PID (a new one after `restart()`). */
  readonly pid: number;
  readonly dataDir: string;
  /** Directory of the unix socket (`.s.PGSQL.<port>`). */
  readonly socketDir: string;
  /** The server's own output (last 64 KB), for error messages. */
  readonly log: string;
  /** `postgres://tokenledger:secret@127.0.0.1:<port>/<database>`. */
  url(database?: string): string;
  /** Superuser connection over the unix socket, no password: for test setup and inspection. */
  adminConfig(database?: string): ClientConfig;
  /** Creates a database owned by `PG_USER`; resolves to its `url()`. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT) by PID, SIGKILL if it does not end in time; then removes the directory. */
  stop(): Promise<void>;
  /** SIGKILL the postmaster and every process of the cluster; resolves when all of them are gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same data directory and port (after `kill()`, or shuts it down first). */
  restart(): Promise<void>;
}

/**
 * The newest server installed by Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin), or an
 * error saying how to install it.
 */
export function findServerBinaries(root = '/usr/lib/postgresql'): string {
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => ['initdb', 'postgres'].every((b) => existsSync(join(root, v, 'bin', b))))
    : [];
  if (versions.length === 0)
    throw new Error(
      `PostgreSQL server binaries not found (no ${root}/<version>/bin/initdb): apt-get install postgresql (.ci/run installs it)`
    );
  // Numeric, not lexical: 9.6 is older than 15.
  versions.sort((a, b) => parseFloat(b) - parseFloat(a));
  return join(root, versions[0]!, 'bin');
}

/**
 * `binary args` as the OS user the server runs as. PostgreSQL refuses to run as root, so as root (tests in CI)
 * it runs as `postgres`. setpriv execs the binary in place (runuser and su fork and wait for it), so the PID
 * spawned is the postmaster's own; its parent-death signal ends the server if the test process dies without
 * stopping it.
 */
function asServerUser(binary: string, args: string[]): [string, string[]] {
  const user = process.getuid?.() === 0 ? ['--reuid=postgres', '--regid=postgres', '--init-groups'] : [];
  return ['setpriv', [...user, '--pdeathsig=SIGKILL', '--', binary, ...args]];
}

function runAsServerUser(binary: string, args: string[]): void {
  const [command, commandArgs] = asServerUser(binary, args);
  const r = spawnSync(command, commandArgs, { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0)
    throw new Error(`${binary} ${args.join(' ')} failed: ${r.error?.message ?? `${r.stderr}${r.stdout}`}`);
}

/** As root, hands `dir` to the OS user `postgres` (which Debian's package creates). */
function giveToServerUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const id = (flag: string): number => {
    const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('OS user postgres missing: apt-get install postgresql (.ci/run installs it)');
    return Number(r.stdout.trim());
  };
  chownSync(dir, id('-u'), id('-g'));
}

/**
 * A random port below the kernel's ephemeral range: neither a client socket nor a kernel-chosen port (the
 * other daemons' `freePort()`) can take it while the server is down between `kill()` and `restart()`. Another
 * cluster may pick the same one at the same time; starting then fails to bind and `startPostgres` picks again.
 */
function candidatePort(): number {
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const from = 10_000;
  const to = Math.max(ephemeralLow, from + 1_000);
  return from + Math.floor(Math.random() * (to - from));
}

/** PIDs of the processes whose working directory is `dataDir`: the postmaster and all its children. */
function clusterProcesses(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dataDir) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, a zombie (no cwd any more) or someone else's process: not one of ours.
    }
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Resolves to whether `promise` settled within `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  const settled = await Promise.race([promise.then(() => true), timedOut]);
  clearTimeout(timer);
  return settled;
}

class PortTaken extends Error {}

class PostgresCluster implements RunningPostgres {
  private server: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    private readonly bin: string,
    /** The temporary directory: data directory and unix socket inside. */
    private readonly dir: string,
    readonly port: number
  ) {}

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get socketDir(): string {
    return this.dir;
  }

  get pid(): number {
    return this.server?.pid ?? 0;
  }

  get log(): string {
    return this.output;
  }

  url(database = PG_DATABASE): string {
    return `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  adminConfig(database = 'postgres'): ClientConfig {
    return { host: this.socketDir, port: this.port, user: SUPERUSER, database };
  }

  async createDatabase(name: string): Promise<string> {
    await this.asAdmin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} OWNER ${PG_USER}`));
    return this.url(name);
  }

  /** Creates the password role and its database (once, after the first start). */
  async createRole(): Promise<void> {
    await this.asAdmin(async (c) => {
      await c.query(`CREATE ROLE ${PG_USER} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}'`);
      await c.query(`CREATE DATABASE ${PG_DATABASE} OWNER ${PG_USER}`);
    });
  }

  private get running(): boolean {
    return this.server !== undefined && this.server.exitCode === null && this.server.signalCode === null;
  }

  /** Spawns the postmaster and waits until it answers; throws `PortTaken` when the port is in use. */
  async launch(): Promise<void> {
    const [command, args] = asServerUser(join(this.bin, 'postgres'), ['-D', this.dataDir, '-p', String(this.port)]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = child;
    this.output = '';
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-LOG_KEEP_CHARS);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // 'close', not 'exit': the output that says why it ended is all read by then.
    this.exited = new Promise<void>((r) => {
      child.once('close', () => r());
      child.once('error', (e) => {
        keep(Buffer.from(`cannot run ${command}: ${e.message}\n`));
        r();
      });
    });
    const died = this.exited.then(() => {
      throw /Address already in use/.test(this.output)
        ? new PortTaken(`port ${this.port} is in use`)
        : new Error(`PostgreSQL exited while starting (code ${child.exitCode}, signal ${child.signalCode})`);
    });
    try {
      await Promise.race([
        waitFor(`PostgreSQL to accept connections on port ${this.port}`, () => this.ping(), START_TIMEOUT_MS, 50),
        died,
      ]);
    } catch (e) {
      await this.kill();
      throw e instanceof PortTaken ? e : new Error(`${(e as Error).message}\nPostgreSQL's output:\n${this.output}`);
    }
  }

  private async ping(): Promise<true> {
    await this.asAdmin((c) => c.query('SELECT 1'));
    return true;
  }

  private async asAdmin<T>(use: (c: Client) => Promise<T>): Promise<T> {
    const client = new Client({ ...this.adminConfig(), connectionTimeoutMillis: 2_000 });
    // A server killed under an idle client makes it emit 'error'; the failed call reports it already.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await use(client);
    } finally {
      await client.end();
    }
  }

  async kill(): Promise<void> {
    const dataDir = realpathSync(this.dataDir);
    if (this.running) signal(this.pid, 'SIGKILL');
    // The postmaster's children outlive it by a moment and keep its shared memory attached, which would
    // make the next start refuse: end them too, found by their working directory (the data directory).
    await waitFor(
      `the processes of PostgreSQL in ${dataDir} to end after SIGKILL`,
      () => {
        const left = clusterProcesses(dataDir);
        for (const pid of left) signal(pid, 'SIGKILL');
        return left.length === 0 ? true : undefined;
      },
      KILL_TIMEOUT_MS,
      20
    );
    await this.exited;
  }

  /** Fast shutdown: SIGTERM would be PostgreSQL's smart shutdown, which waits for every client to leave. */
  private async shutDown(): Promise<void> {
    if (!this.running) return;
    signal(this.pid, 'SIGINT');
    if (!(await within(this.exited, STOP_TIMEOUT_MS))) await this.kill();
  }

  async restart(): Promise<void> {
    await this.shutDown();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.shutDown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Settings for speed that keep every commit across `kill()`: fsync off loses data only when the machine
 * crashes (the kernel still holds what a killed server wrote), while synchronous_commit stays on (off would
 * lose commits that were still in the server's memory when it was killed).
 */
const SERVER_SETTINGS = {
  listen_addresses: "'127.0.0.1'",
  fsync: 'off',
  synchronous_commit: 'on',
  wal_level: 'minimal',
  max_wal_senders: '0',
  jit: 'off',
};

/** Starts the cluster in `dir` on a candidate port, picking another while the one tried is taken. */
async function launchOnFreePort(bin: string, dir: string): Promise<PostgresCluster> {
  for (let attempt = 1; ; attempt++) {
    const cluster = new PostgresCluster(bin, dir, candidatePort());
    try {
      await cluster.launch();
      return cluster;
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt === 10) throw e;
    }
  }
}

const HBA = `# Written by exporter/test/postgres.ts.
# The unix socket is inside the cluster's private directory: the harness administers through it.
local all all trust
# Every TCP connection, the way TokenLedger connects, needs a password.
host all all 127.0.0.1/32 scram-sha-256
`;

/** initdb's a private cluster in a fresh temporary directory and starts it; see the file comment. */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = findServerBinaries();
  const dir = tempDir('tl-postgres-');
  try {
    giveToServerUser(dir);
    const dataDir = join(dir, 'data');
    // --no-sync: the cluster lives as long as the test, no need to wait for the disk.
    const initdbArgs = ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
    runAsServerUser(join(bin, 'initdb'), initdbArgs);
    const settings = { ...SERVER_SETTINGS, unix_socket_directories: `'${dir}'` };
    const lines = Object.entries(settings).map(([name, value]) => `${name} = ${value}`);
    appendFileSync(join(dataDir, 'postgresql.conf'), `\n# exporter/test/postgres.ts\n${lines.join('\n')}\n`);
    writeFileSync(join(dataDir, 'pg_hba.conf'), HBA);
    const cluster = await launchOnFreePort(bin, dir);
    try {
      await cluster.createRole();
    } catch (e) {
      await cluster.kill();
      throw e;
    }
    return cluster;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
