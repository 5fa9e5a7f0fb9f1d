import { appendFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanTotals,
  ledgerTotals,
  lines,
  litellmLine,
  requireBuiltCli,
  runCli,
  ServeProcess,
  TEST_PRICES,
  tempDir,
  waitFor,
} from './helpers';

/*
 * Container logs as Kubernetes nodes keep them: /var/log/containers/<pod>_<ns>_<container>-<id>.log, a symlink
 * to /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log, which kubelet rotates by renaming it to
 * 0.log.<timestamp> and having the runtime reopen 0.log.
 *
 * Record formats:
 * - CRI (containerd, CRI-O): `<RFC3339Nano> <stdout|stderr> <P|F> <text>`, a line longer than the runtime's
 *   buffer split into P records ended by an F one (kubernetes/kubernetes pkg/kubelet/kuberuntime/logs/logs.go,
 *   parseCRILog).
 * - Docker json-file: `{"log":"<text>\n","stream":"stdout","time":"..."}`, a long line split into entries of
 *   which only the last ends in \n (moby daemon/logger/jsonfilelog/jsonfilelog.go, marshalMessage).
 *
 * What the LiteLLM container writes (with LITELLM_PRINT_STANDARD_LOGGING_PAYLOAD set):
 * - stdout: each StandardLoggingPayload as `print(json.dumps(payload, indent=4))` (BerriAI/litellm
 *   litellm/litellm_core_utils/litellm_logging.py, emit_standard_logging_payload), and uvicorn's access lines
 *   (uvicorn's default LOGGING_CONFIG sends the "access" handler to stdout);
 * - stderr: LiteLLM's own log lines, `%(asctime)s - %(name)s:%(levelname)s: %(filename)s:%(lineno)s - %(message)s`
 *   in colour (litellm/_logging.py), and uvicorn's "default" handler.
 */

type Stream = 'stdout' | 'stderr';
const PART = 120; // split lines into parts this long, as a runtime splits at its buffer size (16 KiB)

function timeOf(n: number): string {
  return new Date(Date.UTC(2026, 10, 30, 10) + n * 7).toISOString().replace('Z', '123456Z');
}

/** A container writing lines to its two streams, and the records its runtime appends to its log file. */
class Container {
  private n = 0;
  constructor(private readonly wrapper: 'cri' | 'docker') {}

  /** The records of one line: split into parts, with `between` (another stream's records) after the first part. */
  line(stream: Stream, text: string, between = ''): string {
    const parts: string[] = [];
    for (let at = 0; at < text.length || parts.length === 0; at += PART) parts.push(text.slice(at, at + PART));
    return parts.map((p, i) => this.record(stream, p, i === parts.length - 1) + (i === 0 ? between : '')).join('');
  }

  private record(stream: Stream, part: string, final: boolean): string {
    const time = timeOf(this.n++);
    return this.wrapper === 'cri'
      ? `${time} ${stream} ${final ? 'F' : 'P'} ${part}\n`
      : `${JSON.stringify({ log: final ? `${part}\n` : part, stream, time })}\n`;
  }
}

const access = (i: number) => `INFO:     10.0.0.${i % 7}:5${i % 1000} - "POST /chat/completions HTTP/1.1" 200 OK`;
const litellmLog = (i: number) =>
  `\x1b[92m10:00:${String(i % 60).padStart(2, '0')} - LiteLLM Proxy:INFO\x1b[0m: proxy_server.py:4012 - Request received`;

/**
 * LiteLLM's log for usage records `from`..`to`: payloads on one line or pretty-printed (each line its own
 * record), split records, and noise on both streams between them, stderr records inside stdout's lines and
 * objects. Returns the records and the number of noise lines.
 */
function litellmPod(c: Container, from: number, to: number): { text: string; noise: number } {
  let text = '';
  let noise = 0;
  for (let i = from; i < to; i++) {
    const payload = litellmLine(i);
    if (i % 3 === 0) {
      const pretty = JSON.stringify(JSON.parse(payload), null, 4).split('\n');
      pretty.forEach((l, k) => {
        text += c.line('stdout', l, k === 2 ? c.line('stderr', litellmLog(i)) : '');
      });
      noise += 1;
    } else {
      text += c.line('stdout', payload, i % 2 ? c.line('stderr', litellmLog(i)) : '');
      noise += i % 2;
    }
    text += c.line('stdout', access(i));
    noise += 1;
  }
  return { text, noise };
}

function writeConfig(dir: string, sources: string): string {
  writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
  const config = join(dir, 'tokenledger.yaml');
  writeFileSync(
    config,
    `ledger: ledger.duckdb
rejects_file: rejects.jsonl
prices: prices.yaml
listen: 127.0.0.1:0
poll_interval_ms: 50
rotate_wait_ms: 300
batch_lines: 200
sources:
${sources}`
  );
  return config;
}

/** A pod's log the way a node keeps it: the symlink in containers/ and the file it leads to in pods/. */
function podLog(dir: string, name: string): { link: string; file: string } {
  const podDir = join(dir, 'pods', `llm_${name}_0f1e2d3c`, 'proxy');
  mkdirSync(podDir, { recursive: true });
  mkdirSync(join(dir, 'containers'), { recursive: true });
  const file = join(podDir, '0.log');
  writeFileSync(file, '');
  const link = join(dir, 'containers', `${name}_llm_proxy-0f1e2d3c.log`);
  symlinkSync(file, link);
  return { link, file };
}

describe('container logs (CRI and Docker json-file)', () => {
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

  const seen = async (n: number, skipped: number) => {
    await waitFor(
      `${n} requests and ${skipped} skipped lines in /metrics`,
      async () =>
        (await serve!.metricSum('tokenledger_requests_total')) === n &&
        (await serve!.metricSum('tokenledger_lines_skipped_total')) === skipped
          ? true
          : undefined,
      120_000
    );
    expect(await serve!.metricSum('tokenledger_lines_rejected_total')).toBe(0);
  };

  it('reads a CRI pod log and a Docker one completely, by serve and by ingest: split lines joined, noise skipped', async () => {
    const cri = podLog(dir, 'litellm-a');
    const docker = podLog(dir, 'litellm-b');
    const a = litellmPod(new Container('cri'), 0, 150);
    const b = litellmPod(new Container('docker'), 150, 300);
    writeFileSync(cri.file, a.text);
    writeFileSync(docker.file, b.text);
    // One source says its wrapper, the other leaves it to `auto` (the default).
    const config = writeConfig(
      dir,
      `  - name: pods-cri
    paths: ${JSON.stringify(cri.link)}
    container: cri
    other_lines: ignore
  - name: pods-docker
    paths: ${JSON.stringify(docker.link)}
    other_lines: ignore
`
    );
    serve = await ServeProcess.start(config);
    await seen(300, a.noise + b.noise);
    await serve.stop();
    const expected = await cleanTotals(dir, lines(0, 300));
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(expected);

    const db = join(dir, 'ingested.duckdb');
    const r = runCli(['ingest', '--config', config, '--db', db, cri.link, docker.link]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain(`  rejected:        0\n  skipped:         ${a.noise + b.noise} (not usage records`);
    expect(await ledgerTotals(db)).toEqual(expected);
    // Without --config, ingest detects the wrapper per file (container: auto is the default).
    const detected = join(dir, 'detected.duckdb');
    const d = runCli(['ingest', '--db', detected, '--prices', join(dir, 'prices.yaml'), cri.link, docker.link]);
    expect(d.stdout).toContain('records stored:  300');
    expect(await ledgerTotals(detected)).toEqual(expected);
  }, 300_000);

  for (const wrapper of ['cri', 'docker'] as const)
    it(`${wrapper}: a kill -9 mid-file, a line split across the kill, and kubelet's rotation lose or repeat nothing`, async () => {
      const pod = podLog(dir, 'litellm-0');
      const c = new Container(wrapper);
      const config = writeConfig(
        dir,
        `  - name: pods
    paths: ${JSON.stringify(join(dir, 'containers', '*.log'))}
    container: ${wrapper}
    other_lines: ignore
`
      );
      const first = litellmPod(c, 0, 1500);
      writeFileSync(pod.file, first.text);
      serve = await ServeProcess.start(config);
      // Killed as soon as the first batch is committed: well before the end of the file.
      await waitFor(
        'a first batch committed',
        async () => ((await serve!.metricSum('tokenledger_requests_total')) > 0 ? true : undefined),
        60_000
      );
      await serve.stop('SIGKILL');
      // The next line's first part only: a restart must not commit it half-read.
      const split = c.line('stdout', litellmLine(1500));
      const cut = split.indexOf('\n') + 1;
      appendFileSync(pod.file, split.slice(0, cut));
      serve = await ServeProcess.start(config);
      await seen(1500, first.noise);
      await serve.stop('SIGKILL');
      serve = await ServeProcess.start(config);
      appendFileSync(pod.file, split.slice(cut));
      const more = litellmPod(c, 1501, 1600);
      appendFileSync(pod.file, more.text);
      // kubelet's rotation: rename, the runtime keeps writing to the old file until it reopens, then a new 0.log.
      renameSync(pod.file, `${pod.file}.20261130-100000`);
      const late = litellmPod(c, 1600, 1650);
      appendFileSync(`${pod.file}.20261130-100000`, late.text);
      const next = litellmPod(c, 1650, 1800);
      writeFileSync(pod.file, next.text);
      await seen(1800, first.noise + more.noise + late.noise + next.noise);
      await serve.stop();
      expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(await cleanTotals(dir, lines(0, 1800)));
    }, 300_000);
});

describe("LiteLLM's stdout and stderr in one file, unwrapped (`litellm ... > proxy.log 2>&1`)", () => {
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

  it('reads every pretty-printed payload among startup, access, log, debug and traceback lines, skipping the rest (serve and ingest)', async () => {
    // Debug output LiteLLM prints around requests: a message whose JSON starts on its own line (an object of
    // no usage format), one with JSON after text on the same line, and an exception's traceback on stderr.
    const debugBlock = (i: number) => [
      `\x1b[92m10:00:00 - LiteLLM Proxy:DEBUG\x1b[0m: proxy_server.py:3801 - Request received by LiteLLM:`,
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `hello } { ${i}` }] }, null, 4),
      `\x1b[92m10:00:00 - LiteLLM Router:DEBUG\x1b[0m: router.py:2690 - router kwargs: {`,
      `    "num_retries": 2`,
      `}`,
    ];
    const traceback = [
      '\x1b[92m10:00:01 - LiteLLM Proxy:ERROR\x1b[0m: proxy_server.py:4100 - litellm.proxy.proxy_server._handle_llm_api_exception(): Exception occured',
      'Traceback (most recent call last):',
      '  File "/usr/lib/python3.13/site-packages/litellm/proxy/proxy_server.py", line 4050, in chat_completion',
      '    raise e',
      'litellm.exceptions.RateLimitError: RateLimitError: OpenAIException - rate limited',
    ];
    const out: string[] = [
      'INFO:     Started server process [1]',
      'INFO:     Waiting for application startup.',
      '\x1b[1;34mLiteLLM: Proxy initialized with Config, Set models:\x1b[0m',
      '\x1b[32m    gpt-4o\x1b[0m',
      'INFO:     Application startup complete.',
      'INFO:     Uvicorn running on http://0.0.0.0:4000 (Press CTRL+C to quit)',
    ];
    let noise = out.length;
    for (let i = 0; i < 120; i++) {
      if (i % 4 === 0) {
        const block = debugBlock(i);
        out.push(...block);
        // The request's JSON is one object (of no usage format); the router's text line, its two lines after it.
        noise += 1 + 1 + 1 + 2;
      }
      out.push(JSON.stringify(JSON.parse(litellmLine(i)), null, 4));
      out.push(access(i));
      noise += 1;
      if (i % 25 === 0) {
        out.push(...traceback);
        noise += traceback.length;
      }
      if (i % 10 === 0) {
        out.push('{"message": "Spend update queue flushed", "level": "INFO", "timestamp": "2026-11-30T10:00:00"}');
        noise += 1;
      }
    }
    const log = join(dir, 'proxy.log');
    writeFileSync(log, `${out.join('\n')}\n`);
    const config = writeConfig(dir, `  - name: litellm\n    paths: ${JSON.stringify(log)}\n    other_lines: ignore\n`);
    serve = await ServeProcess.start(config);
    await waitFor(
      '120 requests and every other line skipped',
      async () =>
        (await serve!.metricSum('tokenledger_requests_total')) === 120 &&
        (await serve!.metricSum('tokenledger_lines_skipped_total')) === noise
          ? true
          : undefined,
      60_000
    );
    expect(await serve.metricSum('tokenledger_lines_rejected_total')).toBe(0);
    await serve.stop();
    const expected = await cleanTotals(dir, lines(0, 120));
    expect(await ledgerTotals(join(dir, 'ledger.duckdb'))).toEqual(expected);
    const db = join(dir, 'ingested.duckdb');
    const r = runCli(['ingest', '--config', config, '--db', db, log]);
    expect(r.stdout).toContain(`  rejected:        0\n  skipped:         ${noise} (not usage records`);
    expect(await ledgerTotals(db)).toEqual(expected);
  }, 180_000);
});
