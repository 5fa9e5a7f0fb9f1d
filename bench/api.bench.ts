/**
 * Chargeback API benchmark: a ledger of 10 million usage records over 30 days, the real API router on a
 * loopback port, and the latency of a 30-day breakdown by user and a 30-day hourly series, next to a plain
 * DuckDB scan of the same rows (count and cost sum over the range) as the baseline.
 *   npm run bench:api -- [records]     (default 10,000,000)
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
import { createLogger } from '../exporter/src/log';
import { duckDbScanMs, fillDuckDbLedger, FROM, medianMs, TO } from './benchLedger';

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 10_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'tl-api-bench-'));
  const path = join(dir, 'bench.duckdb');
  const t0 = Date.now();
  await fillDuckDbLedger(path, records);
  const scan = await duckDbScanMs(path, 5);
  const ledger = await DuckDbLedger.open(path, { node: 'bench' });
  try {
    console.log(
      `ledger: ${records.toLocaleString('en')} records over 30 days, built in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    );
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
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const fetchJson = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const range = `from=${FROM}&to=${TO}`;
    const byUser = await medianMs(5, () => fetchJson(`/breakdown?${range}&groupBy=user`));
    const byUserTop = await medianMs(5, () => fetchJson(`/breakdown?${range}&groupBy=user&limit=10&other=true`));
    const hourly = await medianMs(5, () => fetchJson(`/timeseries?${range}&step=1h`));
    const hourlyByModel = await medianMs(5, () => fetchJson(`/timeseries?${range}&step=1h&groupBy=model`));
    const row = (name: string, ms: number) =>
      `${name.padEnd(52)} ${ms.toFixed(0).padStart(6)} ms   ${(ms / scan).toFixed(1).padStart(5)} x the plain scan`;
    console.log(row('plain DuckDB scan: count + sum over 30 days (baseline)', scan));
    console.log(row('GET /breakdown 30 days by user (500 rows)', byUser));
    console.log(row('GET /breakdown 30 days by user, top 10 + everyone else', byUserTop));
    console.log(row('GET /timeseries 30 days, step 1h (720 points)', hourly));
    console.log(row('GET /timeseries 30 days, step 1h, by model (6 x 720)', hourlyByModel));
    console.log('(median of 5 runs each, through HTTP on 127.0.0.1, JSON included)');
    server.close();
  } finally {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
