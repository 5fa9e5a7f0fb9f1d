import { hostname } from 'node:os';
import { DEFAULT_POSTGRES_POOL, isPostgresUrl, LedgerSpec } from '../ledger/open';
import type { ConfigReader } from './reader';

const DEFAULT_LEDGER_FILE = './data/ledger.duckdb';
const SIZE = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;
/** A node name: a host name, a Kubernetes node or pod name (up to 253 characters) or the like; kept on every row. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$/;

/**
 * `ledger:` and its neighbours. A DuckDB file path (the default), a PostgreSQL URL, or
 * `{ url, password_env, pool }` for PostgreSQL with the password kept out of the file.
 */
export function readLedgerSpec(r: ConfigReader, at: (path: string) => string, env: NodeJS.ProcessEnv): LedgerSpec {
  const memoryLimit = r.string('ledger_memory_limit');
  if (memoryLimit !== undefined && !SIZE.test(memoryLimit))
    r.fail('ledger_memory_limit', 'a size such as 512MB or 2GB', memoryLimit);
  const raw = r.raw('ledger');
  if (raw === undefined || raw === null || typeof raw === 'string') {
    const text = (raw as string | undefined | null) ?? DEFAULT_LEDGER_FILE;
    if (text === '') r.fail('ledger', 'a DuckDB file path or a postgres:// URL', raw);
    if (isPostgresUrl(text)) return postgresSpec(r, 'ledger', text, undefined, DEFAULT_POSTGRES_POOL);
    return { engine: 'duckdb', path: at(text), ...(memoryLimit ? { memoryLimit } : {}) };
  }
  const l = r.child('ledger')!;
  const url = l.requiredString('url');
  if (!isPostgresUrl(url)) l.fail('url', 'a postgres:// URL', url);
  const passwordEnv = l.string('password_env');
  let password: string | undefined;
  if (passwordEnv !== undefined) {
    password = env[passwordEnv];
    if (!password)
      l.fail(
        'password_env',
        `the name of a set environment variable (${passwordEnv} is not set or empty)`,
        passwordEnv
      );
  }
  const spec = postgresSpec(l, 'url', url, password, l.integer('pool', DEFAULT_POSTGRES_POOL, 1));
  l.done();
  return spec;
}

function postgresSpec(
  r: ConfigReader,
  key: string,
  url: string,
  password: string | undefined,
  pool: number
): LedgerSpec {
  try {
    const u = new URL(url);
    if (!u.hostname) r.fail(key, 'a postgres:// URL with a host', '(no host)');
  } catch {
    // The URL is not quoted back: it may hold a password.
    r.fail(key, 'a valid postgres://user@host:port/database URL', '(unparsable URL)');
  }
  return { engine: 'postgres', url, pool, ...(password !== undefined ? { password } : {}) };
}

/**
 * `node:`, this replica's name, or `node_env:`, the environment variable that holds it (in Kubernetes, one set
 * from spec.nodeName, so the name outlives the pod); the host's name by default.
 */
export function readNode(r: ConfigReader, env: NodeJS.ProcessEnv): string {
  const variable = r.string('node_env');
  let node = r.string('node');
  let key = 'node';
  if (variable !== undefined) {
    if (node !== undefined) r.fail('node_env', 'either node or node_env, not both', variable);
    node = env[variable];
    key = 'node_env';
    if (!node) r.fail('node_env', `the name of a set environment variable (${variable} is not set or empty)`, variable);
  }
  node ??= hostname();
  if (!NODE_NAME.test(node)) r.fail(key, 'a name of letters, digits and . _ : @ - (at most 253 characters)', node);
  return node;
}

/** `retention_months:` whole months kept besides the current one; undefined keeps everything. */
export function readRetentionMonths(r: ConfigReader): number | undefined {
  return r.has('retention_months') ? r.integer('retention_months', 0, 1) : undefined;
}

/** The first instant (UTC) of the oldest month kept: `months` before the month of `nowMs`. */
export function retentionCutoffMs(months: number, nowMs: number): number {
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1);
}
