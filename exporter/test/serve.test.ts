import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Prometheus } from './daemons';
import { writeServeConfig as writeConfig } from './serveConfig';
import {
  cleanTotals,
  hasPromtool,
  ledgerTotals,
  lines,
  requireBuiltCli,
  runCli,
  ServeProcess,
  TEST_PRICES,
  tempDir,
  waitFor,
} from './helpers';

describe('tokenledger serve', () => {
  let dir: string;
  let serve: ServeProcess | undefined;
  beforeAll(() => requireBuiltCli());
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await serve?.stop('SIGKILL');
    serve = undefined;
  });

  const requestsSeen = (n: number, timeoutMs?: number) =>
    waitFor(
      `${n} requests in /metrics`,
      async () => ((await serve!.metricSum('tokenledger_requests_total')) === n ? true : undefined),
      timeoutMs
    );

  it('follows a file across rotation by rename and loses or repeats nothing', async () => {
    const config = writeConfig(dir, join(dir, 'logs', 'gw.log*'));
    const log = join(dir, 'logs', 'gw.log');
    mkdirSync(join(dir, 'logs'));
    writeFileSync(log, lines(0, 400));
    serve = await ServeProcess.start(config);
    await requestsSeen(400);
    // The gateway writes a little more to the old file after the rename, as real writers do until they reopen.
    appendFileSync(log, lines(400, 450));
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, lines(450, 500));
    writeFileSync(log, lines(500, 900));
    await requestsSeen(900);
    appendFileSync(log, lines(900, 1000));
    await requestsSeen(1000);
    await serve.stop();
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(await cleanTotals(dir, lines(0, 1000)));
  });

  it('recovers the lines of a copytruncate from the copy when the copy is not followed', async () => {
    const config = writeConfig(dir, join(dir, 'app.log'));
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 300));
    serve = await ServeProcess.start(config);
    await requestsSeen(300);
    // No pause: these lines land in the copy before the exporter has read them, then the file is truncated.
    appendFileSync(log, lines(300, 420));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(420, 600));
    await requestsSeen(600);
    await serve.stop();
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(await cleanTotals(dir, lines(0, 600)));
  });

  it('holds a partial last line until its newline arrives, without counting it as backlog', async () => {
    const config = writeConfig(dir, join(dir, 'app.log'));
    const log = join(dir, 'app.log');
    const next = lines(10, 11);
    writeFileSync(log, lines(0, 10) + next.slice(0, 50));
    serve = await ServeProcess.start(config);
    await requestsSeen(10);
    await new Promise((r) => setTimeout(r, 300)); // several polls: the half line must stay unread
    expect(await serve.metricSum('tokenledger_lines_rejected_total')).toBe(0);
    // Waiting for the rest of a line is not falling behind: no backlog, no lag (the records are from 2025), ready.
    expect(await serve.metricSum('tokenledger_ingest_backlog_bytes', { source: 'gw' })).toBe(0);
    expect(await serve.metricSum('tokenledger_ingest_lag_seconds', { source: 'gw' })).toBe(0);
    const ready = await fetch(`${serve.baseUrl}/readyz`);
    expect({ status: ready.status, body: await ready.text() }).toEqual({ status: 200, body: expect.any(String) });
    appendFileSync(log, next.slice(50));
    await requestsSeen(11);
    expect(await serve.metricSum('tokenledger_lines_rejected_total')).toBe(0);
  });

  it('reads date folders of object files without a final newline (LiteLLM S3 logger) once they stop growing; says which one is incomplete', async () => {
    // LiteLLM's S3/GCS logger (litellm/integrations/s3.py, get_s3_object_key) writes each payload as its own
    // object `<prefix><YYYY-MM-DD>/<name>.json`, one json.dumps of the StandardLoggingPayload and no newline.
    const day = join(dir, 'bucket', '2026-11-30');
    const dayBefore = join(dir, 'bucket', '2026-11-29');
    for (const d of [day, dayBefore]) mkdirSync(d, { recursive: true });
    const config = writeConfig(dir, join(dir, 'bucket', '*', '*.json'));
    for (let i = 0; i < 300; i++)
      writeFileSync(join(i < 100 ? dayBefore : day, `req-${i}.json`), lines(i, i + 1).trimEnd());
    const incomplete = lines(300, 301).trimEnd();
    writeFileSync(join(day, 'req-300.json'), incomplete.slice(0, 40)); // a sync tool still copying it
    serve = await ServeProcess.start(config);
    await requestsSeen(300, 120_000); // hundreds of files on a busy machine
    const event = { source: 'gw', event: 'incompleteLastLine' };
    await waitFor('the incomplete file reported', async () =>
      (await serve!.metricSum('tokenledger_source_file_events_total', event)) === 1 ? true : undefined
    );
    expect(serve.log).toContain(`${join(day, 'req-300.json')}:1: has not grown for rotate_wait_ms`);
    expect(await serve.metricSum('tokenledger_lines_rejected_total')).toBe(0);
    await serve.stop('SIGKILL');
    serve = await ServeProcess.start(config);
    appendFileSync(join(day, 'req-300.json'), incomplete.slice(40));
    await requestsSeen(301, 120_000);
    await serve.stop();
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(await cleanTotals(dir, lines(0, 301)));
  }, 300_000);

  it('reads the usage payloads out of LiteLLM stdout with other_lines: ignore, counting the rest as skipped (serve and ingest)', async () => {
    const log = join(dir, 'litellm-stdout.log');
    // format: auto: a JSON object of no known format is then noise (a source forced to litellm takes every
    // object for a LiteLLM record, and refuses one without its fields as missing_field).
    const config = writeConfig(dir, log, '    other_lines: ignore\n');
    writeFileSync(config, readFileSync(config, 'utf8').replace('format: litellm', 'format: auto'));
    // LiteLLM's stdout with LITELLM_PRINT_STANDARD_LOGGING_PAYLOAD: each payload pretty-printed (indent 4),
    // among uvicorn's lines and LiteLLM's own log lines.
    let stdout = 'INFO:     Started server process [7]\nINFO:     Uvicorn running on http://0.0.0.0:4000\n';
    for (let i = 0; i < 40; i++) {
      stdout += `${JSON.stringify(JSON.parse(lines(i, i + 1)), null, 4)}\n`;
      stdout += `INFO:     10.0.0.${i % 7}:5${i} - "POST /chat/completions HTTP/1.1" 200 OK\n`;
      if (i % 10 === 0) stdout += '{"level": "INFO", "message": "router: deployment healthy"}\n';
    }
    writeFileSync(log, stdout);
    const noise = 2 + 40 + 4;
    serve = await ServeProcess.start(config);
    await requestsSeen(40);
    await waitFor('the skipped lines counted', async () =>
      (await serve!.metricSum('tokenledger_lines_skipped_total', { source: 'gw' })) === noise ? true : undefined
    );
    expect(await serve.metricSum('tokenledger_lines_rejected_total')).toBe(0);
    await serve.stop();
    const expected = await cleanTotals(dir, lines(0, 40));
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(expected);
    const db = join(dir, 'ingested.duckdb');
    const r = runCli(['ingest', '--config', config, '--db', db, log]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain(`  rejected:        0\n  skipped:         ${noise} (not usage records`);
    expect(await ledgerTotals(db)).toEqual(expected);
  });

  it('keeps its counters across a restart and a SIGKILL, reading on where it stopped', async () => {
    const config = writeConfig(dir, join(dir, 'app.log'));
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 700) + 'not json\n');
    serve = await ServeProcess.start(config);
    await requestsSeen(700);
    const before = await serve.metrics();
    const pick = (text: string) =>
      text
        .split('\n')
        .filter((l) =>
          /^tokenledger_(requests|tokens|cost_usd|lines_read|lines_rejected|unpriced|request_duration)/.test(l)
        )
        .sort();
    await serve.stop('SIGKILL');
    serve = await ServeProcess.start(config);
    expect(pick(await serve.metrics())).toEqual(pick(before));
    appendFileSync(log, lines(700, 800));
    await requestsSeen(800);
    await serve.stop();
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(await cleanTotals(dir, lines(0, 800)));
  });

  it('is scraped by a real Prometheus, which sees the same totals as the ledger', async () => {
    const config = writeConfig(dir, join(dir, 'app.log'));
    writeFileSync(join(dir, 'app.log'), lines(0, 120) + lines(120, 150, { user: 'carol' }));
    serve = await ServeProcess.start(config);
    await requestsSeen(150);
    const prometheus = await Prometheus.start({ targets: [new URL(serve.baseUrl).host] });
    try {
      await prometheus.waitForTargetsUp();
      const byUser = await prometheus.query('sum by (user) (tokenledger_requests_total)');
      expect(Object.fromEntries(byUser.map((s) => [s.metric.user, s.value[1]]))).toEqual({
        'alice@example.com': '40',
        'bob@example.com': '40',
        'carol@example.com': '40',
        carol: '30',
      });
      const cost = await prometheus.query('sum(tokenledger_cost_usd_total)');
      expect(Number(cost[0].value[1])).toBeCloseTo(await serve.metricSum('tokenledger_cost_usd_total'), 9);
    } finally {
      await prometheus.stop();
    }
  });

  it('serves /metrics that pass promtool check metrics, with HELP on every family', async () => {
    if (!hasPromtool()) throw new Error('promtool not found: apt-get install prometheus (it provides promtool)');
    const config = writeConfig(dir, join(dir, 'app.log'));
    writeFileSync(join(dir, 'app.log'), lines(0, 100) + lines(100, 110, { model: 'unpriced-model' }) + '{"broken\n');
    serve = await ServeProcess.start(config);
    await requestsSeen(110);
    const text = await serve.metrics();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
    expect(await serve.metricSum('tokenledger_unpriced_requests_total', { model: 'unpriced-model' })).toBe(10);
    expect(await serve.metricSum('tokenledger_lines_rejected_total', { reason: 'invalid_json' })).toBe(1);
    for (const family of text.match(/^# TYPE (tokenledger_\S+)/gm)!) {
      expect(text).toContain(`# HELP ${family.slice('# TYPE '.length)} `);
    }
    const health = await fetch(`${serve.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect((await fetch(`${serve.baseUrl}/readyz`)).status).toBe(200);
  });

  it('prices records whose model had no price once the price book has it (SIGHUP)', async () => {
    const config = writeConfig(dir, join(dir, 'app.log'));
    writeFileSync(join(dir, 'app.log'), lines(0, 30, { model: 'new-model' }));
    serve = await ServeProcess.start(config);
    await requestsSeen(30);
    expect(await serve.metricSum('tokenledger_cost_usd_total', { model: 'new-model' })).toBe(0);
    writeFileSync(
      join(dir, 'prices.yaml'),
      TEST_PRICES.replace('tiers:', '  new-model:\n    prices: [{ input: 1.00, output: 2.00 }]\ntiers:')
    );
    process.kill(serve.child.pid!, 'SIGHUP');
    // Expected cost computed from the same lines: (prompt - cached) + cached at the input rate, output at 2.00 per 1M.
    let expectedPico = 0n;
    for (const l of lines(0, 30, { model: 'new-model' }).trim().split('\n')) {
      const r = JSON.parse(l);
      expectedPico += BigInt(r.prompt_tokens) * 1_000_000n + BigInt(r.completion_tokens) * 2_000_000n;
    }
    const cost = await waitFor('the re-priced cost', async () => {
      const v = await serve!.metricSum('tokenledger_cost_usd_total', { model: 'new-model' });
      return v > 0 ? v : undefined;
    });
    expect(cost).toBeCloseTo(Number(expectedPico) / 1e12, 9);
    // Still counted as unpriced when recorded: the counter never goes down.
    expect(await serve.metricSum('tokenledger_unpriced_requests_total', { model: 'new-model' })).toBe(30);
    await serve.stop();
    const totals = (await ledgerTotals(join(dir, 'ledger.duckdb'))) as {
      total: { unpricedRequests: number; costUsd: string };
    };
    expect(totals.total.unpricedRequests).toBe(0);
    expect(totals.total.costUsd).toBe(`0.${expectedPico.toString().padStart(12, '0')}`);
  });

  it('folds users beyond the series cap into __other__ while the ledger keeps them apart', async () => {
    const config = writeConfig(
      dir,
      join(dir, 'app.log'),
      'metrics:\n  max_series: 2\n  labels:\n    requests: [user]\n'
    );
    let content = '';
    for (let u = 0; u < 5; u++) content += lines(u * 10, u * 10 + 10, { user: `user${u}`, model: 'gpt-4o' });
    writeFileSync(join(dir, 'app.log'), content);
    serve = await ServeProcess.start(config);
    await requestsSeen(50);
    const text = await serve.metrics();
    const series = text.split('\n').filter((l) => l.startsWith('tokenledger_requests_total{'));
    expect(series).toHaveLength(3);
    expect(series.find((l) => l.includes('user="__other__"'))).toMatch(/ 30$/);
    await serve.stop();
    const totals = (await ledgerTotals(join(dir, 'ledger.duckdb'))) as { rows: { user: string }[] };
    expect(new Set(totals.rows.map((r) => r.user)).size).toBe(5);
  });

  it('admits the same series under the cap after a restart, so no counter goes backwards', async () => {
    const config = writeConfig(
      dir,
      join(dir, 'app.log'),
      'metrics:\n  max_series: 2\n  labels:\n    requests: [user]\n'
    );
    const log = join(dir, 'app.log');
    writeFileSync(log, '');
    serve = await ServeProcess.start(config);
    // Users arrive one batch each, in an order no sorting or hashing of their names reproduces; the third and
    // later fold into __other__, with more requests than the admitted ones.
    const users = ['mallory', 'zed', 'bob', 'yan', 'alice', 'quentin'];
    let n = 0;
    for (const [i, user] of users.entries()) {
      const count = i < 2 ? 1 : 5 + i;
      appendFileSync(log, lines(n, n + count, { user, model: 'gpt-4o', idPrefix: user }));
      n += count;
      await requestsSeen(n);
    }
    const series = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('tokenledger_requests_total{'))
        .sort();
    const before = series(await serve.metrics());
    expect(before.map((l) => /user="([^"]+)"/.exec(l)![1]).sort()).toEqual(['__other__', 'mallory', 'zed']);
    await serve.stop();
    serve = await ServeProcess.start(config);
    expect(series(await serve.metrics())).toEqual(before);
    // And a SIGKILL, with more requests of a folded user since.
    appendFileSync(log, lines(n, n + 3, { user: 'bob', model: 'gpt-4o', idPrefix: 'bob-later' }));
    await requestsSeen(n + 3);
    const grown = series(await serve.metrics());
    await serve.stop('SIGKILL');
    serve = await ServeProcess.start(config);
    expect(series(await serve.metrics())).toEqual(grown);
  });

  it('reads a stdin source, also after it ends', async () => {
    writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
    const config = join(dir, 'stdin.yaml');
    writeFileSync(
      config,
      'ledger: ledger.duckdb\nprices: prices.yaml\nlisten: 127.0.0.1:0\nsources:\n  - { name: gateway-stdout, stdin: true, format: litellm }\n'
    );
    serve = await ServeProcess.start(config, 'pipe');
    serve.child.stdin!.write(lines(0, 40));
    await requestsSeen(40);
    serve.child.stdin!.end(lines(40, 55));
    await requestsSeen(55);
    expect(await serve.metricSum('tokenledger_lines_read_total', { source: 'gateway-stdout' })).toBe(55);
    expect((await fetch(`${serve.baseUrl}/healthz`)).status).toBe(200);
  });

  it('fails to start with a clear message for a bad config', () => {
    const config = writeConfig(dir, join(dir, 'app.log'), '    formatt: kong\n');
    const r = runCli(['serve', '--config', config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${config}: sources[0].formatt: unknown key`);
  });
});
