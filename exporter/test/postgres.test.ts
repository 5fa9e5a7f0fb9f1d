/**
 * The PostgreSQL test harness itself: a real server, reached the way TokenLedger reaches it (TCP, password),
 * killed, restarted on the same data, stopped without leaving a process or a directory behind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, ClientConfig } from 'pg';
import { tempDir } from './helpers';
import { findServerBinaries, PG_PASSWORD, PG_USER, RunningPostgres, startPostgres } from './postgres';

/** Runs `sql` on a new connection and closes it; the rows, or the error the server (or the socket) gave. */
async function query(config: string | ClientConfig, sql: string): Promise<unknown[]> {
  const client = new Client(typeof config === 'string' ? { connectionString: config } : config);
  client.on('error', () => undefined); // reported by the failing call
  try {
    await client.connect();
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function withPassword(pg: RunningPostgres, user: string, password: string): string {
  return `postgres://${user}:${password}@127.0.0.1:${pg.port}/postgres`;
}

/** `/proc/<pid>/stat`'s fields after the command name (which may hold spaces): state, ppid, ... */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Running: a zombie (ended, not yet reaped by init) is not. */
function alive(pid: number): boolean {
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && procStat(Number(entry))?.[1] === String(pid))
    .map(Number);
}

describe('findServerBinaries', () => {
  let root: string;
  beforeEach(() => (root = tempDir()));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('says how to install PostgreSQL when no server is installed', () => {
    expect(() => findServerBinaries(root)).toThrow(/apt-get install postgresql/);
  });

  it('picks the newest installed version, compared as numbers', () => {
    for (const version of ['9.6', '15', '13']) {
      mkdirSync(join(root, version, 'bin'), { recursive: true });
      for (const binary of ['initdb', 'postgres']) writeFileSync(join(root, version, 'bin', binary), '');
    }
    mkdirSync(join(root, '16', 'bin'), { recursive: true }); // client only: no server binaries
    expect(findServerBinaries(root)).toBe(join(root, '15', 'bin'));
  });
});

describe('startPostgres', () => {
  let pg: RunningPostgres;

  beforeAll(async () => {
    pg = await startPostgres();
  });

  afterAll(() => pg?.stop());

  it("gives the postmaster's own PID, the one to signal", () => {
    expect(readFileSync(join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(pg.pid));
    expect(readFileSync(`/proc/${pg.pid}/comm`, 'utf8').trim()).toBe('postgres');
  });

  it('serves TCP on 127.0.0.1 to the password role, and refuses a wrong password for every role', async () => {
    expect(await query(pg.url(), 'SELECT current_user AS who')).toEqual([{ who: PG_USER }]);
    for (const user of [PG_USER, 'postgres'])
      await expect(query(withPassword(pg, user, `not-${PG_PASSWORD}`), 'SELECT 1')).rejects.toMatchObject({
        code: '28P01',
      });
  });

  it('creates databases the password role owns', async () => {
    const url = await pg.createDatabase('second-ledger');
    expect(url).toBe(pg.url('second-ledger'));
    await query(url, 'CREATE TABLE t (x int)');
    expect(
      await query(pg.adminConfig('second-ledger'), "SELECT tableowner FROM pg_tables WHERE tablename = 't'")
    ).toEqual([{ tableowner: PG_USER }]);
  });

  it('kill() breaks open connections and refuses new ones; restart() brings back the same data, port and role', async () => {
    await query(pg.url(), 'CREATE TABLE survivor (id int); INSERT INTO survivor VALUES (42)');
    const open = new Client({ connectionString: pg.url() });
    const openErrors: Error[] = [];
    open.on('error', (e) => openErrors.push(e));
    await open.connect();
    const { pid, port } = pg;
    const children = childrenOf(pid); // the open connection's backend, the checkpointer, ...
    expect(children.length).toBeGreaterThan(1);

    await pg.kill();
    expect([pid, ...children].filter(alive)).toEqual([]);
    await expect(open.query('SELECT 1')).rejects.toThrow();
    await open.end();
    await expect(query(pg.url(), 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await pg.restart();
    expect(pg.port).toBe(port);
    expect(pg.pid).not.toBe(pid);
    expect(alive(pg.pid)).toBe(true);
    expect(await query(pg.url(), 'SELECT id FROM survivor')).toEqual([{ id: 42 }]);
    await expect(query(withPassword(pg, PG_USER, 'wrong'), 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
  });

  it('restart() of a running server shuts it down first and keeps the data', async () => {
    const { pid } = pg;
    await pg.restart();
    expect(alive(pid)).toBe(false);
    expect(await query(pg.url(), 'SELECT id FROM survivor')).toEqual([{ id: 42 }]);
  });

  it('runs clusters started at once side by side, each with its own port, directory and data', async () => {
    const [a, b] = await Promise.all([startPostgres(), startPostgres()]);
    try {
      expect(new Set([a.port, b.port, pg.port]).size).toBe(3);
      expect(new Set([a.dataDir, b.dataDir, pg.dataDir]).size).toBe(3);
      await query(a.url(), 'CREATE TABLE only_in_a (x int)');
      await expect(query(b.url(), 'SELECT * FROM only_in_a')).rejects.toMatchObject({ code: '42P01' });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stop() ends the postmaster with every open connection and removes the directory', async () => {
    const other = await startPostgres();
    const open = new Client({ connectionString: other.url() });
    open.on('error', () => undefined); // the shutdown ends the connection: expected here
    await open.connect();
    const { pid, dataDir } = other;
    expect(existsSync(dataDir)).toBe(true);

    await other.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(other.socketDir)).toBe(false);
    await expect(query(other.url(), 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await open.end();
  });
});
