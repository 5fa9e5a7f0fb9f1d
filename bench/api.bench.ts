/**
 * Chargeback API benchmark: a ledger of 10 million usage records over 30 days on each backend (DuckDB, and
 * PostgreSQL in a private cluster), the real API router on a loopback port, and the latency of a 30-day
 * breakdown by user and a 30-day hourly series, each next to a plain scan of the same rows on that engine
 * (count and cost sum over the range) as the baseline.
 *   npm run bench:api -- [records] [backends]     (default 10,000,000; duckdb,postgres)
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chargebackApi } from '../exporter/src/api/router';
import { OPEN_AUTH } from '../exporter/src/auth/apiTokens';
import { BudgetTracker } from '../exporter/src/budgets/budgetTracker';
import { DuckDbLedger } from '../exporter/src/ledger/duckdb/duckDbLedger';
import type { Ledger } from '../exporter/src/ledger/ledger';
import { PostgresLedger } from '../exporter/src/ledger/postgres/postgresLedger';
import { createLogger } from '../exporter/src/log';
import { startPostgres } from '../exporter/test/postgres';
import { duckDbScanMs, fillDuckDbLedger, fillPostgresLedger, FROM, medianMs, postgresScanMs, TO } from './benchLedger';

const RUNS = 5;

/** A filled ledger of one backend, open, with its plain scan measured; `done` removes it. */
interface Backend {
  name: string;
  ledger: Ledger;
  scanMs: number;
  done(): Promise<void>;
}

async function duckDb(records: number): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-api-bench-'));
  const path = join(dir, 'bench.duckdb');
  await fillDuckDbLedger(path, records);
  const scanMs = await duckDbScanMs(path, RUNS);
  const ledger = await DuckDbLedger.open(path, { node: 'bench' });
  return {
    name: 'DuckDB',
    ledger,
    scanMs,
    done: async () => {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgres(records: number): Promise<Backend> {
  const pg = await startPostgres();
  try {
    const url = await pg.createDatabase('bench');
    await fillPostgresLedger(url, records);
    const scanMs = await postgresScanMs(url, RUNS);
    const ledger = await PostgresLedger.open({ url, pool: 8, node: 'bench' });
    return {
      name: 'PostgreSQL',
      ledger,
      scanMs,
      done: async () => {
        await ledger.close();
        await pg.stop();
      },
    };
  } catch (e) {
    await pg.stop();
    throw e;
  }
}

const BACKENDS: Record<string, (records: number) => Promise<Backend>> = { duckdb: duckDb, postgres };

/** The API's latencies on one backend, printed next to its plain scan. */
async function measure(backend: Backend): Promise<void> {
  const { ledger, scanMs } = backend;
  const app = express().use(
    '/api/v1',
    chargebackApi({
      ledger,
      budgets: new BudgetTracker(ledger, [], 'UTC'),
      auth: () => OPEN_AUTH,
      log: createLogger('error'),
    })
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const fetchJson = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const range = `from=${FROM}&to=${TO}`;
    const byUser = await medianMs(RUNS, () => fetchJson(`/breakdown?${range}&groupBy=user`));
    const byUserTop = await medianMs(RUNS, () => fetchJson(`/breakdown?${range}&groupBy=user&limit=10&other=true`));
    const hourly = await medianMs(RUNS, () => fetchJson(`/timeseries?${range}&step=1h`));
    const hourlyByModel = await medianMs(RUNS, () => fetchJson(`/timeseries?${range}&step=1h&groupBy=model`));
    const row = (name: string, ms: number) =>
      `  ${name.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms   ${(ms / scanMs).toFixed(2).padStart(6)} x the plain scan`;
    console.log(row(`plain ${backend.name} scan: count + sum over 30 days (baseline)`, scanMs));
    console.log(row('GET /breakdown 30 days by user (500 rows)', byUser));
    console.log(row('GET /breakdown 30 days by user, top 10 + everyone else', byUserTop));
    console.log(row('GET /timeseries 30 days, step 1h (720 points)', hourly));
    console.log(row('GET /timeseries 30 days, step 1h, by model (6 x 720)', hourlyByModel));
  } finally {
    server.close();
  }
}

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 10_000_000);
  const names = (process.argv[3] ?? 'duckdb,postgres').split(',');
  if (!Number.isSafeInteger(records) || records < 1 || names.some((n) => !BACKENDS[n]))
    throw new Error(`usage: npm run bench:api -- [records] [${Object.keys(BACKENDS).join(',')}]`);
  for (const name of names) {
    const t0 = Date.now();
    const backend = await BACKENDS[name]!(records);
    try {
      console.log(
        `${backend.name}: ${records.toLocaleString('en')} records over 30 days, built in ${((Date.now() - t0) / 1000).toFixed(1)} s`
      );
      await measure(backend);
    } finally {
      await backend.done();
    }
  }
  console.log(`(median of ${RUNS} runs each, through HTTP on 127.0.0.1, JSON included)`);
}

main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
