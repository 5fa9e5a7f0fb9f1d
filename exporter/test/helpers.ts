import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ledgerSpecOf, openLedger } from '../src/ledger/open';
import { Dimension, toReportRow } from '../src/ledger/queries';

/**
 * Integration tests run the built CLI, as users do: `npm run build -w exporter` first (npm test does). Found
 * from the checkout's root, because this file also runs compiled into bench/dist (the soak, bench/soak.ts).
 */
export const CLI = builtCli(__dirname);

function builtCli(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'exporter', 'src', 'cli.ts'))) return join(dir, 'exporter', 'dist', 'cli.js');
  }
  return resolve(from, '../dist/cli.js');
}

export function requireBuiltCli(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build -w exporter\` first (npm test does it)`);
}

export function tempDir(prefix = 'tl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `wrapper`: a command the CLI runs under (see `permissionsApply`). */
export function runCli(
  args: string[],
  input?: string,
  wrapper: readonly string[] = []
): { status: number | null; stdout: string; stderr: string } {
  const [command, ...rest] = [...wrapper, process.execPath, CLI, ...args];
  const r = spawnSync(command!, rest, { input, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`cannot run ${command}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A wrapper under which file permissions apply to the CLI: root reads a chmod 000 file anyway, so as root the
 * CLI runs without the capabilities that allow it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), still as root, so
 * it can read the checkout wherever that is. `setpriv` is in Debian's essential util-linux package.
 */
export function permissionsApply(): string[] {
  if (process.getuid?.() !== 0) return [];
  if (spawnSync('setpriv', ['--version']).status !== 0)
    throw new Error(
      'as root, this test needs `setpriv` (Debian package util-linux) to run the CLI without the capability to read any file'
    );
  return ['setpriv', '--bounding-set=-dac_override,-dac_read_search'];
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 50
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A running `tokenledger serve` child; stopped by PID. */
export class ServeProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
    private readonly output: { text: string }
  ) {}

  /**
   * `env`: variables set for serve on top of this process's. A serve that does not print its address within
   * `timeoutMs` is killed (not left running after the test), and the error quotes what it printed.
   */
  static start(
    configPath: string,
    stdin?: 'pipe',
    env: Record<string, string> = {},
    timeoutMs = 60_000
  ): Promise<ServeProcess> {
    return ServeProcess.begin(configPath, stdin, env, timeoutMs).ready;
  }

  /** Starts serve; its output can be read while it starts (`log`), before `ready` says where it listens. */
  static begin(
    configPath: string,
    stdin?: 'pipe',
    env: Record<string, string> = {},
    timeoutMs = 60_000
  ): { log: () => string; ready: Promise<ServeProcess> } {
    const child = spawn(process.execPath, [CLI, 'serve', '--config', configPath], {
      stdio: [stdin ?? 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const output = { text: '' };
    child.stdout!.on('data', (d: Buffer) => (output.text += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output.text += d.toString()));
    const ready = waitFor(
      'serve to print its address',
      () => {
        if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${output.text}`);
        return /serving (http:\/\/[^/\s]+)\/metrics/.exec(output.text)?.[1];
      },
      timeoutMs
    ).then(
      (base) => new ServeProcess(child, base, output),
      (e: Error) => {
        if (child.exitCode === null) child.kill('SIGKILL');
        throw new Error(`${e.message}; serve printed: ${output.text}`);
      }
    );
    return { log: () => output.text, ready };
  }

  get log(): string {
    return this.output.text;
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.baseUrl}/metrics`);
    return res.text();
  }

  /** Sum of a metric's samples whose labels match all of `labels`. */
  async metricSum(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sumSamples(await this.metrics(), name, labels);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    let timer: NodeJS.Timeout | undefined;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    process.kill(this.child.pid!, signal);
    try {
      await Promise.race([
        exited,
        new Promise(
          (_, reject) => (timer = setTimeout(() => reject(new Error(`serve did not stop on ${signal}`)), 15_000))
        ),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function sumSamples(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Ledger totals by user and model over all time, as report rows: what "the same ledger" means in these tests. */
export async function ledgerTotals(dbPath: string): Promise<unknown> {
  return ledgerGroups(dbPath, ['user', 'model']);
}

/** The ledger one clean `ingest` of the same lines produces (with the price book `dir/prices.yaml`). */
export async function cleanTotals(dir: string, content: string): Promise<unknown> {
  const log = join(dir, 'clean-input.jsonl');
  writeFileSync(log, content);
  const db = join(dir, 'clean.duckdb');
  const r = runCli(['ingest', '--db', db, '--prices', join(dir, 'prices.yaml'), log]);
  if (r.status !== 0) throw new Error(r.stderr);
  return ledgerTotals(db);
}

/** Ledger totals over all time grouped by `groupBy`, as report rows. */
export async function ledgerGroups(
  dbPath: string,
  groupBy: Dimension[]
): Promise<{ rows: Record<string, string | number>[]; total: Record<string, string | number> }> {
  const ledger = await openLedger(ledgerSpecOf(dbPath), { node: hostname(), readOnly: true });
  try {
    const r = await ledger.breakdown({
      fromMs: 0,
      toMs: Date.parse('2100-01-01'),
      groupBy,
      filters: {},
      sort: 'cost',
      limit: undefined,
    });
    return { rows: r.rows.map((row) => toReportRow(row, row.dims)), total: toReportRow(r.total) };
  } finally {
    await ledger.close();
  }
}

/** A LiteLLM StandardLoggingPayload line with deterministic values derived from `i`. */
export function litellmLine(i: number, opts: { user?: string; model?: string; idPrefix?: string } = {}): string {
  const users = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
  const models = ['gpt-4o', 'gpt-4o-mini', 'claude-haiku-4-5'];
  const prompt = 100 + ((i * 37) % 900);
  const cached = (i * 13) % 50;
  return JSON.stringify({
    id: `${opts.idPrefix ?? 'req'}-${i}`,
    call_type: 'acompletion',
    status: i % 17 === 0 ? 'failure' : 'success',
    startTime: 1735725600 + i * 0.5,
    endTime: 1735725600 + i * 0.5 + 1.25,
    model: opts.model ?? models[i % models.length],
    prompt_tokens: prompt,
    completion_tokens: 10 + ((i * 7) % 300),
    metadata: {
      user_api_key_user_id: opts.user ?? users[i % users.length],
      user_api_key_alias: `key-${i % 4}`,
      usage_object: {
        prompt_tokens: prompt,
        completion_tokens: 10 + ((i * 7) % 300),
        prompt_tokens_details: { cached_tokens: cached },
      },
    },
    request_tags: [`tier:${i % 2 ? 'gold' : 'free'}`],
  });
}

export function lines(from: number, to: number, opts?: Parameters<typeof litellmLine>[1]): string {
  let out = '';
  for (let i = from; i < to; i++) out += `${litellmLine(i, opts)}\n`;
  return out;
}

export const TEST_PRICES = `version: test
models:
  gpt-4o:
    prices: [{ effective_from: 2024-10-01, input: 2.50, cache_read: 1.25, output: 10.00 }]
  gpt-4o-mini:
    prices: [{ input: 0.15, cache_read: 0.075, output: 0.60 }]
  claude-haiku-4-5:
    prices: [{ input: 1.00, cache_read: 0.10, cache_write: 1.25, output: 5.00 }]
tiers:
  gold: { multiplier: 1.5 }
`;

export function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version']).status === 0;
}
