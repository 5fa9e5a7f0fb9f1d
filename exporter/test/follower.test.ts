import { appendFileSync, copyFileSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanTotals,
  ledgerTotals,
  litellmLine,
  lines,
  requireBuiltCli,
  runCli,
  ServeProcess,
  TEST_PRICES,
  tempDir,
  waitFor,
} from './helpers';
import { writeServeConfig } from './serveConfig';

/** The file follower through the built CLI: restarts by SIGKILL, rotation while stopped, start_at, bad bytes. */

const writeConfig = (dir: string, extra = '') => writeServeConfig(dir, join(dir, 'app.log'), extra);

describe('the file follower, through the CLI', () => {
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

  const requestsSeen = (n: number) =>
    waitFor(`${n} requests in /metrics`, async () =>
      (await serve!.metricSum('tokenledger_requests_total')) === n ? true : undefined
    );

  it('after a SIGKILL, reads the lines a copytruncate left only in the copy while serve was down', async () => {
    const config = writeConfig(dir);
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 300));
    serve = await ServeProcess.start(config);
    await requestsSeen(300);
    await serve.stop('SIGKILL');
    appendFileSync(log, lines(300, 420)); // never read before the copy: they exist only in app.log.1 once truncated
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(420, 600));
    serve = await ServeProcess.start(config);
    await requestsSeen(600);
    expect(
      await serve.metricSum('tokenledger_source_file_events_total', { source: 'gw', event: 'copyRecovered' })
    ).toBe(1);
    expect(await serve.metricSum('tokenledger_source_file_events_total', { source: 'gw', event: 'lost' })).toBe(0);
    expect(serve.log).toContain(
      `${log}: reading the lines not read before it was truncated or moved from its copy ${log}.1, from byte`
    );
    await serve.stop();
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(await cleanTotals(dir, lines(0, 600)));
  });

  it('with start_at: end, skips what is there at its first start but reads a file that appears later from its start', async () => {
    const config = writeConfig(dir, '    start_at: end\n');
    const log = join(dir, 'app.log');
    writeFileSync(log, lines(0, 100));
    serve = await ServeProcess.start(config); // its sources are followed before it serves
    appendFileSync(log, lines(100, 150));
    await requestsSeen(50);
    // Rotation while serve runs: the new file is written before the next poll finds it.
    renameSync(log, `${log}.1`);
    writeFileSync(log, lines(150, 200));
    await requestsSeen(100);
    // And while it is down (after a SIGKILL): the new file it finds at restart is read from its start too.
    await serve.stop('SIGKILL');
    renameSync(log, `${log}.2`);
    writeFileSync(log, lines(200, 230));
    serve = await ServeProcess.start(config);
    await requestsSeen(130);
    await serve.stop();
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(await cleanTotals(dir, lines(100, 230)));
  });

  it('ingest reads on after a too-long line whose newline comes in a later read, and names its line', async () => {
    const config = writeConfig(dir, '');
    writeFileSync(config, `${readFileSync(config, 'utf8')}max_line_bytes: 100000\n`);
    const log = join(dir, 'app.log');
    // 300 kB: longer than one 256 KiB read, so its newline comes in the next one.
    writeFileSync(log, `${lines(0, 5)}{"pad":"${'x'.repeat(300_000)}"}\n${lines(5, 10)}`);
    const r = runCli(['ingest', '--config', config, log]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/records stored: +10\n/);
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects).toEqual([
      expect.objectContaining({
        file: log,
        line: 6,
        reason: 'line_too_long',
        offset: Buffer.byteLength(lines(0, 5)),
        length: 300_011,
      }),
    ]);
  });

  it('ingest refuses a line with bytes that are not UTF-8, naming file, line and offset, and reads a file that starts with a BOM', async () => {
    writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
    const log = join(dir, 'bom.jsonl');
    const bad = Buffer.from(litellmLine(1, { user: 'ann\u00e9' }));
    const at = bad.indexOf(Buffer.from('\u00e9'));
    bad[at] = 0xff; // "ann" + a byte that is no UTF-8 (e.g. Latin-1): must not become "ann\uFFFD" and merge with others
    writeFileSync(
      log,
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(`${litellmLine(0)}\n`),
        bad,
        Buffer.from(`\n${litellmLine(2)}\n`),
      ])
    );
    const db = join(dir, 'l.duckdb');
    const r = runCli(['ingest', '--db', db, '--prices', join(dir, 'prices.yaml'), log]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/records stored: +2\n/);
    expect(r.stdout).toMatch(/rejected: +1 \(invalid_utf8 1\)/);
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const firstLineBytes = 3 + Buffer.byteLength(`${litellmLine(0)}\n`);
    expect(rejects).toEqual([
      expect.objectContaining({
        file: log,
        line: 2,
        reason: 'invalid_utf8',
        message: `byte ${firstLineBytes + at} of the file is not valid UTF-8`,
      }),
    ]);
  });
});
