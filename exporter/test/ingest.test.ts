import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { drawProgress, formatProgress } from '../src/commands/ingestProgress';
import {
  CLI,
  cleanTotals,
  ledgerGroups,
  ledgerTotals,
  lines,
  permissionsApply,
  requireBuiltCli,
  runCli,
  TEST_PRICES,
  tempDir,
  waitFor,
} from './helpers';

const FIXTURES = join(__dirname, 'fixtures');

describe('tokenledger ingest', () => {
  let dir: string;
  let prices: string;
  beforeAll(() => requireBuiltCli());
  beforeEach(() => {
    dir = tempDir();
    prices = join(dir, 'prices.yaml');
    writeFileSync(prices, TEST_PRICES);
  });

  function ingestRun(db: string, ...files: string[]) {
    const r = runCli(['ingest', '--db', db, '--prices', prices, ...files]);
    if (r.status !== 0) throw new Error(`ingest failed (${r.status}): ${r.stderr}`);
    return r;
  }
  const ingest = (db: string, ...files: string[]) => ingestRun(db, ...files).stdout;

  it('reads every format fixture and quarantines the bad lines with file, line and field', async () => {
    const db = join(dir, 'l.duckdb');
    const files = ['litellm.jsonl', 'kong.jsonl', 'envoy.jsonl', 'malformed.jsonl', 'litellm-stdout.log'].map((f) =>
      join(FIXTURES, f)
    );
    const out = ingest(db, ...files);
    // 3 litellm + 3 kong + 3 envoy + 2 good malformed.jsonl lines + 1 pretty-printed record
    expect(out).toMatch(/records stored: +12\n/);
    expect(out).toMatch(/rejected: +8 \(/);
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const bad = rejects.find((r) => r.reason === 'invalid_field' && r.field === 'prompt_tokens');
    expect(bad).toMatchObject({
      file: join(FIXTURES, 'malformed.jsonl'),
      line: 3,
      source: 'ingest',
      message: 'prompt_tokens: expected a non-negative integer, got -5',
    });
    expect(JSON.stringify(rejects)).not.toMatch(/SECRET|sk-live/);
    const totals = (await ledgerTotals(db)) as { total: { requests: number } };
    expect(totals.total.requests).toBe(12);
  });

  it('exits non-zero naming the file it cannot read, and for a broken price book', () => {
    const missing = runCli(['ingest', '--db', join(dir, 'x.duckdb'), '--prices', prices, join(dir, 'nope.jsonl')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.jsonl: no such file');
    expect(missing.stderr).toContain('nothing ingested');
    expect(existsSync(join(dir, 'x.duckdb'))).toBe(false);
    writeFileSync(join(dir, 'bad.yaml'), 'models:\n  m:\n    prices: [{ input: 1 }]\n');
    const badPrices = runCli([
      'ingest',
      '--db',
      join(dir, 'x.duckdb'),
      '--prices',
      join(dir, 'bad.yaml'),
      join(FIXTURES, 'kong.jsonl'),
    ]);
    expect(badPrices.status).toBe(1);
    expect(badPrices.stderr).toMatch(/bad\.yaml: models\.m\.prices\[0\]: missing key "output"/);
    const usage = runCli(['ingest', '--prices', prices]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--db is required/);
  });

  it('twice, in pieces, and with a duplicated line gives the same ledger as one clean pass', async () => {
    const log = join(dir, 'gw.jsonl');
    writeFileSync(log, lines(0, 3000));
    const clean = join(dir, 'clean.duckdb');
    ingest(clean, log);
    const expected = await ledgerTotals(clean);

    const piecewise = join(dir, 'pieces.duckdb');
    const piece = join(dir, 'piece.jsonl');
    writeFileSync(piece, lines(0, 1000));
    ingest(piecewise, piece);
    appendFileSync(piece, lines(1000, 1000 + 500) + lines(1500, 1501).slice(0, 40)); // ends in a partial line
    const mid = ingest(piecewise, piece);
    expect(mid).toMatch(/held back: .*piece\.jsonl:1501/);
    appendFileSync(piece, lines(1500, 1501).slice(40) + lines(1501, 3000));
    expect(ingest(piecewise, piece)).toMatch(/lines read: +1500\n/);
    expect(ingest(piecewise, piece)).toMatch(/lines read: +0\n/);
    expect(await ledgerTotals(piecewise)).toEqual(expected);

    // The same requests again in another file (a copy, a replayed log): nothing is counted twice.
    const copy = join(dir, 'copy.jsonl');
    writeFileSync(copy, lines(0, 3000));
    expect(ingest(piecewise, copy)).toMatch(/duplicates: +3000 /);
    expect(await ledgerTotals(piecewise)).toEqual(expected);
  });

  it('loses and duplicates nothing when killed with SIGKILL mid-run', async () => {
    const log = join(dir, 'big.jsonl');
    writeFileSync(log, lines(0, 150_000));
    const clean = join(dir, 'clean.duckdb');
    ingest(clean, log);
    const expected = await ledgerTotals(clean);

    const db = join(dir, 'killed.duckdb');
    const child = spawn(
      process.execPath,
      [CLI, 'ingest', '--db', db, '--prices', prices, '--batch-lines', '2000', log],
      { stdio: 'ignore' }
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Kill once some batches are committed, well before the end.
    await waitFor(
      'a few committed batches',
      () => (existsSync(`${db}.wal`) && statSync(`${db}.wal`).size > 2_000_000 ? true : undefined),
      60_000,
      10
    );
    process.kill(child.pid!, 'SIGKILL');
    expect(await exited).toBeNull();

    const resumed = ingest(db, log);
    const read = Number(/lines read: +(\d+)/.exec(resumed)![1]);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(150_000);
    expect(await ledgerTotals(db)).toEqual(expected);
  });

  it('hints at --format when it fits no line', () => {
    const db = join(dir, 'wrong-format.duckdb');
    const wrong = runCli(['ingest', '--db', db, '--prices', prices, '--format', 'kong', '-'], lines(0, 20));
    expect(wrong.status).toBe(0);
    expect(wrong.stdout).toContain('rejected:        20 (unrecognized_format 20)');
    expect(wrong.stdout).toContain('hint:            no line is a kong record: is --format right?');
    const right = runCli(['ingest', '--db', db, '--prices', prices, '--format', 'litellm', '-'], lines(0, 20));
    expect(right.stdout).not.toContain('hint:');
  });

  it('reads date folders of object files without a final newline (LiteLLM S3 logger) through a ** pattern', async () => {
    for (let i = 0; i < 30; i++) {
      const day = join(dir, 'bucket', 'litellm', `2026-11-${28 + (i % 3)}`);
      mkdirSync(day, { recursive: true });
      writeFileSync(join(day, `req-${i}.json`), lines(i, i + 1).trimEnd());
    }
    const db = join(dir, 'bucket.duckdb');
    const r = runCli(['ingest', '--db', db, '--prices', prices, join(dir, 'bucket', '**', '*.json')]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/records stored: +30\n/);
    expect(r.stdout).not.toContain('held back');
    expect(await ledgerTotals(db)).toEqual(await cleanTotals(dir, lines(0, 30)));
  });

  it('reads stdin with -', async () => {
    const db = join(dir, 'stdin.duckdb');
    const r = runCli(['ingest', '--db', db, '--prices', prices, '-'], lines(0, 50));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/records stored: +50\n/);
  });

  it('exits 1 naming every log file it cannot read, and why, after ingesting the others', async () => {
    const ok = join(dir, 'ok.jsonl');
    writeFileSync(ok, lines(0, 50));
    const secret = join(dir, 'secret.jsonl');
    writeFileSync(secret, lines(50, 60));
    chmodSync(secret, 0o000);
    mkdirSync(join(dir, 'logs'));
    const db = join(dir, 'l.duckdb');
    const args = [
      ok,
      secret,
      join(dir, 'logs'),
      join(ok, 'x.jsonl'),
      join(dir, 'logs/a**/x.jsonl'),
      join(dir, 'none-*.jsonl'),
    ];
    const r = runCli(['ingest', '--db', db, '--prices', prices, ...args], undefined, permissionsApply());
    expect(r.status).toBe(1);
    const problems = [
      `${secret}: cannot read: permission denied (EACCES)`,
      `${join(dir, 'logs')}: is a directory, not a file`,
      `${join(ok, 'x.jsonl')}: no such file: ${ok} is a file, not a directory`,
      `${join(dir, 'logs/a**/x.jsonl')}: ** must be a whole path segment, as in logs/**/*.json`,
      `${join(dir, 'none-*.jsonl')}: no file matches`,
    ];
    for (const p of problems) {
      expect(r.stderr.split(p).length - 1).toBe(1); // once, not once per poll
      expect(r.stdout).toContain(`not read:        ${p}`);
    }
    expect(r.stderr).toContain('5 log file(s) could not be read');
    expect(r.stderr).not.toMatch(/warning|lines\/s\)/); // no duplicate follower warning; no progress off a terminal
    expect(r.stdout).toMatch(/records stored: +50\n/);
    expect((await ledgerGroups(db, [])).total.requests).toBe(50);
  });

  it('names the path and why for a ledger path it cannot create, without a stack trace', () => {
    const log = join(dir, 'gw.jsonl');
    writeFileSync(log, lines(0, 5));
    const r = runCli(['ingest', '--db', join(prices, 'x.duckdb'), '--prices', prices, log]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `tokenledger ingest: --db ${join(prices, 'x.duckdb')}: cannot create the ledger there: ${prices} is a file, not a directory\n`
    );
    const rejects = runCli([
      'ingest',
      '--db',
      join(dir, 'l.duckdb'),
      '--rejects',
      join(log, 'r.jsonl'),
      '--prices',
      prices,
      log,
    ]);
    expect(rejects.status).toBe(1);
    expect(rejects.stderr).toBe(
      `tokenledger ingest: --rejects ${join(log, 'r.jsonl')}: cannot create the reject file there: ${log} is a file, not a directory\n`
    );
  });

  it('resumes only the files it is given: another file of the same ledger is not reported as rotated away', async () => {
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    writeFileSync(a, lines(0, 100));
    writeFileSync(b, lines(100, 200));
    const db = join(dir, 'l.duckdb');
    expect(ingestRun(db, a).stderr).toBe('');
    const second = ingestRun(db, b);
    expect(second.stderr).toBe('');
    expect(second.stdout).toMatch(/records stored: +100\n/);
    appendFileSync(a, lines(200, 210));
    const third = ingestRun(db, a);
    expect(third.stderr).toBe('');
    expect(third.stdout).toMatch(/lines read: +10\n/);

    // A file rotated by rename between two runs is still finished from its old path's position.
    appendFileSync(a, lines(210, 220));
    renameSync(a, `${a}.1`);
    writeFileSync(a, lines(220, 230));
    const rotated = ingestRun(db, a);
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout).toMatch(/lines read: +20\n/);
    const clean = join(dir, 'clean.duckdb');
    const all = join(dir, 'all.jsonl');
    writeFileSync(all, lines(0, 230));
    ingest(clean, all);
    expect(await ledgerTotals(db)).toEqual(await ledgerTotals(clean));
  });

  it('with --config, fills team, owner and tier from the identities and reads each file with its source options, as serve does', async () => {
    const gw = join(dir, 'gw-1.jsonl');
    writeFileSync(
      gw,
      lines(0, 30) +
        `${JSON.stringify({ id: 'laptop-1', status: 'success', startTime: 1735725700, endTime: 1735725701, model: 'gpt-4o', prompt_tokens: 10, completion_tokens: 5, metadata: { user_api_key_alias: 'alice-laptop' } })}\n`
    );
    const custom = join(dir, 'custom.jsonl');
    writeFileSync(
      custom,
      `${JSON.stringify({ rid: 'c-1', ts: 1735725800, m: 'gpt-4o-mini', who: 'erin@example.com', usage: { prompt_tokens: 100, completion_tokens: 20 } })}\n`
    );
    const config = join(dir, 'tokenledger.yaml');
    writeFileSync(
      config,
      `prices: prices.yaml
default_tier: standard
sources:
  - { name: gateway, paths: gw-*.jsonl, format: litellm }
  - name: custom
    paths: custom.jsonl
    format: generic
    mapping: { request_id: rid, start_time: ts, model: m, user: who, usage: usage }
identities:
  - { api_key: alice-laptop, owner: alice@example.com }
  - { user: alice@example.com, team: engineering }
  - { user: bob@example.com, team: engineering }
  - { user: carol@example.com, team: research }
  - { user: erin@example.com, team: finance }
`
    );
    const db = join(dir, 'config.duckdb');
    const r = runCli(['ingest', '--db', db, '--config', config, gw, custom]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/records stored: +32\n/);
    const { rows } = await ledgerGroups(db, ['user', 'team', 'tier']);
    expect(rows.filter((row) => row.team === 'unknown' || row.user === 'unknown' || row.tier === 'unknown')).toEqual(
      []
    );
    expect(rows.find((row) => row.user === 'alice@example.com' && row.tier === 'standard')).toMatchObject({
      team: 'engineering',
      requests: 1,
    });
    const erin = rows.find((row) => row.user === 'erin@example.com');
    expect(erin).toMatchObject({ team: 'finance', tier: 'standard', requests: 1, inputTokens: 100 });
    expect(erin!.costUsd).not.toMatch(/^0\.0+$/); // priced from the config's price book

    // Without --config the same files lose the identities (and the generic file is not understood).
    const plain = runCli(['ingest', '--db', join(dir, 'plain.duckdb'), '--prices', prices, gw, custom]);
    expect(plain.status).toBe(0);
    expect((await ledgerGroups(join(dir, 'plain.duckdb'), ['team'])).rows.map((row) => row.team)).toEqual(['unknown']);

    // --prices replaces the config's price books.
    writeFileSync(
      join(dir, 'mini-only.yaml'),
      'models:\n  gpt-4o-mini:\n    prices: [{ input: 0.15, output: 0.60 }]\n'
    );
    const own = runCli([
      'ingest',
      '--db',
      join(dir, 'own.duckdb'),
      '--config',
      config,
      '--prices',
      join(dir, 'mini-only.yaml'),
      gw,
      custom,
    ]);
    expect(own.status).toBe(0);
    expect(own.stdout).toMatch(/unpriced: +21 /); // the 11 gpt-4o and 10 claude-haiku-4-5 lines

    // Without --db the config's ledger is written (relative to the config file, as serve opens it).
    writeFileSync(config, `ledger: data/serve.duckdb\n${readFileSync(config, 'utf8')}`);
    const own2 = runCli(['ingest', '--config', config, gw]);
    expect(own2.stderr).toBe('');
    expect(own2.status).toBe(0);
    expect((await ledgerGroups(join(dir, 'data', 'serve.duckdb'), ['team'])).total).toMatchObject({ requests: 31 });
  });

  it('draws live progress on a terminal: lines count as they are read, not when a batch commits', () => {
    if (spawnSync('script', ['--version']).status !== 0)
      throw new Error('this test needs `script` (Debian package bsdutils / util-linux) to give the CLI a terminal');
    const log = join(dir, 'big.jsonl');
    writeFileSync(log, lines(0, 300_000));
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    // One batch for the whole file: nothing commits before the end.
    const cmd = [
      process.execPath,
      CLI,
      'ingest',
      '--db',
      join(dir, 'l.duckdb'),
      '--prices',
      prices,
      '--batch-lines',
      '1000000',
      log,
    ]
      .map(quote)
      .join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const frames = r.stdout
      .split('\r')
      .map((f) => f.replace('\x1b[K', ''))
      .filter((f) => / lines\/s\) /.test(f));
    const partial = frames.filter((f) => Number(/big\.jsonl (\d+)%/.exec(f)![1]) < 100);
    expect(partial.length).toBeGreaterThan(0);
    for (const f of partial) {
      const [, seen, rate] = /^(\d+) lines \((\d+) lines\/s\)/.exec(f)!;
      expect(Number(seen)).toBeGreaterThan(0);
      expect(Number(rate)).toBeGreaterThan(0);
    }
    expect(r.stdout).toMatch(/lines read: +300000\r?\n/);
  });
});

describe('ingest progress line', () => {
  it("shows lines, lines/s and each file's share read", () => {
    expect(
      formatProgress(250_000, 2, [
        { path: '/logs/big.jsonl', read: 480, size: 1000 },
        { path: '/logs/empty.jsonl', read: 0, size: 0 },
      ])
    ).toBe('250000 lines (125000 lines/s)  big.jsonl 48%  empty.jsonl 100%');
    expect(formatProgress(0, 0, [])).toBe('0 lines (0 lines/s)');
  });

  it('is drawn only on a terminal, and cleared when the run ends', () => {
    jest.useFakeTimers();
    try {
      let clock = 0;
      let lines = 0;
      const sample = () => ({ lines, files: [{ path: 'a.jsonl', read: lines, size: 100 }] });
      const tty = {
        isTTY: true,
        text: '',
        write(t: string) {
          this.text += t;
        },
      };
      const stop = drawProgress(tty, sample, 500, () => clock);
      lines = 40;
      clock = 500;
      jest.advanceTimersByTime(500);
      expect(tty.text).toBe('\r\x1b[K40 lines (80 lines/s)  a.jsonl 40%');
      stop();
      expect(tty.text.endsWith('\r\x1b[K')).toBe(true);
      jest.advanceTimersByTime(2000);
      expect(tty.text.endsWith('\r\x1b[K')).toBe(true);

      const pipe = {
        isTTY: false,
        text: '',
        write(t: string) {
          this.text += t;
        },
      };
      const stopPipe = drawProgress(pipe, sample, 500, () => clock);
      jest.advanceTimersByTime(2000);
      stopPipe();
      expect(pipe.text).toBe('');
    } finally {
      jest.useRealTimers();
    }
  });
});
