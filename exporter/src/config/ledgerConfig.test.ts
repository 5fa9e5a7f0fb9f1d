import { hostname, tmpdir } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { retentionCutoffMs } from './ledgerConfig';

const dir = mkdtempSync(join(tmpdir(), 'tl-ledger-config-'));
const BASE = 'prices: prices.yaml\nsources:\n  - { name: gw, paths: gw.log }\n';
let n = 0;

function load(text: string) {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, `${BASE}${text}`);
  return loadConfig(file);
}

function refusal(text: string): string {
  try {
    load(text);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message.slice(e.message.indexOf(': ') + 2);
  }
  throw new Error('expected the config to be refused');
}

describe('the ledger setting', () => {
  afterEach(() => delete process.env.TL_TEST_PG_PASSWORD);

  it('is a DuckDB file beside the config by default, with its memory cap, and the node is the host name', () => {
    expect(load('ledger_memory_limit: 2GB\n')).toMatchObject({
      ledger: { engine: 'duckdb', path: join(dir, 'data/ledger.duckdb'), memoryLimit: '2GB' },
      node: hostname(),
    });
    expect(load('ledger: /var/lib/tl/l.duckdb\nnode: gw-node-3\n')).toMatchObject({
      ledger: { engine: 'duckdb', path: '/var/lib/tl/l.duckdb' },
      node: 'gw-node-3',
    });
  });

  it('takes the node from the environment variable node_env names (a Kubernetes node name)', () => {
    process.env.TL_TEST_NODE = 'ip-10-0-3-17.eu-west-1.compute.internal';
    try {
      expect(load('node_env: TL_TEST_NODE\n').node).toBe('ip-10-0-3-17.eu-west-1.compute.internal');
    } finally {
      delete process.env.TL_TEST_NODE;
    }
  });

  it('is the shared PostgreSQL ledger for a postgres:// URL, or a mapping with the password in the environment', () => {
    expect(load('ledger: postgres://tl:pw@db.internal:5432/tokenledger\n').ledger).toEqual({
      engine: 'postgres',
      url: 'postgres://tl:pw@db.internal:5432/tokenledger',
      pool: 4,
    });
    process.env.TL_TEST_PG_PASSWORD = 's3cret';
    expect(
      load('ledger: { url: "postgresql://tl@db:5432/tl", password_env: TL_TEST_PG_PASSWORD, pool: 8 }\n').ledger
    ).toEqual({ engine: 'postgres', url: 'postgresql://tl@db:5432/tl', password: 's3cret', pool: 8 });
  });

  it('refuses what cannot work, naming the key, and never quoting a URL (it may hold a password)', () => {
    expect(refusal('ledger: { url: "postgres://tl@db/tl", password_env: TL_TEST_PG_PASSWORD }\n')).toBe(
      'ledger.password_env: expected the name of a set environment variable (TL_TEST_PG_PASSWORD is not set or empty), got "TL_TEST_PG_PASSWORD"'
    );
    expect(refusal('ledger: { url: "/var/lib/l.duckdb" }\n')).toBe(
      'ledger.url: expected a postgres:// URL, got "/var/lib/l.duckdb"'
    );
    expect(refusal('ledger: { url: "postgres://tl@db/tl", pool: 0 }\n')).toBe(
      'ledger.pool: expected an integer >= 1, got 0'
    );
    expect(refusal('ledger: { url: "postgres://tl@db/tl", pol: 3 }\n')).toMatch(
      /^ledger\.pol: unknown key; did you mean pool\?/
    );
    const bad = refusal('ledger: "postgres://tl:hunter2@[::1/tl"\n');
    expect(bad).toBe('ledger: expected a valid postgres://user@host:port/database URL, got "(unparsable URL)"');
    expect(bad).not.toContain('hunter2');
    expect(refusal('node: "gw node 3"\n')).toBe(
      'node: expected a name of letters, digits and . _ : @ - (at most 253 characters), got "gw node 3"'
    );
    expect(refusal('node_env: TL_TEST_NODE\n')).toBe(
      'node_env: expected the name of a set environment variable (TL_TEST_NODE is not set or empty), got "TL_TEST_NODE"'
    );
    expect(refusal('node: a\nnode_env: TL_TEST_NODE\n')).toBe(
      'node_env: expected either node or node_env, not both, got "TL_TEST_NODE"'
    );
    expect(refusal('ledger_memory_limit: lots\n')).toBe(
      'ledger_memory_limit: expected a size such as 512MB or 2GB, got "lots"'
    );
  });
});

describe('retention_months', () => {
  it('keeps everything unless set, and then whole months besides the current one', () => {
    expect(load('').retentionMonths).toBeUndefined();
    expect(load('retention_months: 13\n').retentionMonths).toBe(13);
    expect(refusal('retention_months: 0\n')).toBe('retention_months: expected an integer >= 1, got 0');
    expect(refusal('retention_months: "1y"\n')).toBe('retention_months: expected an integer >= 1, got "1y"');
  });

  it('cuts at the first instant of a UTC month, across a year boundary', () => {
    expect(retentionCutoffMs(1, Date.UTC(2026, 0, 15, 12))).toBe(Date.UTC(2025, 11, 1));
    expect(retentionCutoffMs(12, Date.UTC(2026, 11, 1))).toBe(Date.UTC(2025, 11, 1));
    expect(retentionCutoffMs(1, Date.UTC(2026, 2, 31, 23, 59, 59, 999))).toBe(Date.UTC(2026, 1, 1));
  });
});
