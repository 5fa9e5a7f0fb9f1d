/**
 * Decision latency of the Envoy ext_authz doors: a real `tokenledger serve` (budgets enforced, the gRPC door on
 * enforcement.grpc_listen, the HTTP door under /ext_authz) next to bare no-op servers of the same protocols
 * (bench/decideNoop.ts), both in their own processes, loaded from this one over loopback in the same run:
 * - closed loop, 1 and 100 concurrent callers: p50, p99 and decisions/s;
 * - open loop at a fixed rate (default 2,000 decisions/s, 100 callers' worth of requests in flight at most):
 *   p50 and p99 when requests arrive as a gateway sends them, not as fast as answers come back.
 * Each request is a chat completion as Envoy forwards it (headers, x-request-id, a JSON body), with its own
 * request id, so every allowed decision opens a reservation as in production.
 *   npm run bench:decide -- [seconds per load and server] [open-loop rate] [gRPC|HTTP]
 *   (default 6 s in 3 rounds; 2000/s; both protocols)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, IncomingHttpHeaders } from 'node:http2';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { CheckRequestMessage, CheckResponseMessage } from '../exporter/src/enforcement/extAuthz/checkMessages';
import { CHECK_METHOD_PATH, extAuthzTypes } from '../exporter/src/enforcement/extAuthz/protos';
import { freePort } from '../exporter/test/daemons';
import { ServeProcess, tempDir, waitFor } from '../exporter/test/helpers';
import { writeServeConfig } from '../exporter/test/serveConfig';
import type { ProbeReport } from './decideProbe';
import { grpcFrame, grpcUnframe } from './grpcFrame';

const SECONDS = Number(process.argv[2] ?? 6);
const OPEN_RATE = Number(process.argv[3] ?? 2000);
/** Which doors to measure: `gRPC`, `HTTP` or both (`gRPC,HTTP`, the default). */
const PROTOCOLS = (process.argv[4] ?? 'gRPC,HTTP').split(',');
/**
 * serve's enforcement.reservation_ttl (default: serve's, 5m). No usage record ever reaches the bench's serve, so
 * every reservation lives its whole TTL: a short one (`TL_DECIDE_RESERVATION_TTL=5s`) stands for a gateway whose
 * records arrive within seconds, where open reservations are rate x log delay, not rate x TTL.
 */
const RESERVATION_TTL = process.env.TL_DECIDE_RESERVATION_TTL;
const WARMUP_MS = 500;
const ROUNDS = 3;
const CONCURRENCY = [1, 100];

const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  max_tokens: 256,
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Summarise the attached quarterly report in three bullet points.' },
  ],
});

const CLIENT_HEADERS = {
  authorization: 'Bearer sk-bench-client-key',
  'content-type': 'application/json',
  'x-user-id': 'alice',
  'x-team-id': 'ml',
};

/** Where the servers' probes (./decideProbe.ts, preloaded into serve and the no-op) write their reports. */
const PROBE_DIR = tempDir('tl-decide-probe-');
const PROBE_ENV = { NODE_OPTIONS: `--require ${join(__dirname, 'decideProbe.js')}`, TL_DECIDE_PROBE_DIR: PROBE_DIR };

/** What the server `pid` saw since it was last asked (SIGUSR2 to its probe). */
async function probe(pid: number): Promise<ProbeReport> {
  const file = join(PROBE_DIR, `${pid}.json`);
  const last = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProbeReport).seq : 0;
  process.kill(pid, 'SIGUSR2');
  return waitFor(
    `the probe of ${pid}`,
    () => {
      const r = JSON.parse(readFileSync(file, 'utf8')) as ProbeReport;
      return r.seq > last ? r : undefined;
    },
    10_000,
    5
  );
}

let sequence = 0;
const nextRequestId = () => `bench-${process.pid}-${++sequence}`;

/** One decision asked, resolved when answered; throws when the answer is not the expected allow. */
type Call = () => Promise<void>;

/**
 * A cheap gRPC client: node:http2 with gRPC's framing, the CheckRequest encoded with protobufjs over the door's
 * own protos, the answer read from the status message and the trailers' grpc-status. grpc-js as a client costs
 * several times what the servers measured do (bench/README.md), and this process is the load generator of both.
 */
function grpcCall(port: number): { call: Call; close: () => void } {
  const { CheckRequest, CheckResponse } = extAuthzTypes();
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {}); // each call's stream reports its own failure
  const call: Call = () =>
    new Promise((resolve, reject) => {
      const id = nextRequestId();
      const headers = {
        ':authority': 'llm.example.com',
        ':path': '/v1/chat/completions',
        ':method': 'POST',
        ':scheme': 'http',
        'x-request-id': id,
        ...CLIENT_HEADERS,
      };
      const message: CheckRequestMessage = {
        attributes: {
          request: {
            http: { id: String(sequence), method: 'POST', path: '/v1/chat/completions', headers, body: BODY },
          },
        },
      };
      const stream = session.request({
        ':method': 'POST',
        ':path': CHECK_METHOD_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      let grpcStatus: string | undefined;
      // A trailers-only answer (an error) carries grpc-status in its headers.
      stream.on('response', (h) => (grpcStatus = h['grpc-status'] as string | undefined));
      stream.on('trailers', (h: IncomingHttpHeaders) => (grpcStatus = h['grpc-status'] as string | undefined));
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('error', reject);
      stream.on('end', () => {
        if (grpcStatus !== '0') return reject(new Error(`grpc-status ${grpcStatus}`));
        const res = CheckResponse.decode(grpcUnframe(Buffer.concat(chunks))) as unknown as CheckResponseMessage;
        if ((res.status?.code ?? 0) !== 0) return reject(new Error(`denied: ${JSON.stringify(res.status)}`));
        resolve();
      });
      stream.end(grpcFrame(CheckRequest.encode(message).finish()));
    });
  return { call, close: () => session.close() };
}

function httpCall(port: number, path: string, sockets: number): { call: Call; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const call: Call = () =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: {
            host: 'llm.example.com',
            'x-request-id': nextRequestId(),
            'content-length': Buffer.byteLength(BODY),
            ...CLIENT_HEADERS,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        }
      );
      req.on('error', reject);
      req.end(BODY);
    });
  return { call, close: () => agent.destroy() };
}

interface Result {
  n: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function summarise(latencies: number[], elapsedMs: number): Result {
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { n: latencies.length, perSecond: latencies.length / (elapsedMs / 1000), p50: at(0.5), p99: at(0.99) };
}

/** `concurrency` callers, each asking again as soon as it is answered, for `ms`. */
async function closedLoop(call: Call, concurrency: number, ms: number): Promise<Result> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    })
  );
  return summarise(latencies, performance.now() - start);
}

/**
 * Requests sent at `rate` per second for `ms` whatever the answers do (a gateway's traffic does not wait for
 * earlier decisions), latency from each request's send; at most `maxInFlight` outstanding.
 */
async function openLoop(
  call: Call,
  rate: number,
  ms: number,
  maxInFlight: number
): Promise<Result & { dropped: number }> {
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  const interval = 1000 / rate;
  const start = performance.now();
  let next = start;
  let dropped = 0;
  while (next < start + ms) {
    const now = performance.now();
    while (next <= now && next < start + ms) {
      next += interval;
      if (pending.size >= maxInFlight) {
        dropped++;
        continue;
      }
      const t = performance.now();
      const p: Promise<void> = call().then(() => {
        latencies.push(performance.now() - t);
        pending.delete(p);
      });
      pending.add(p);
    }
    // A timer, not a busy loop: the load generator shares the machine with the servers it measures.
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  return { ...summarise(latencies, performance.now() - start), dropped };
}

async function startNoop(): Promise<{ child: ChildProcess; grpc: number; grpcRaw: number; http: number }> {
  const child = spawn(process.execPath, [join(__dirname, 'decideNoop.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...PROBE_ENV },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const m = await waitFor(
    'the no-op servers',
    () => /noop grpc=(\d+) grpcraw=(\d+) http=(\d+)/.exec(out) ?? undefined,
    30_000
  );
  return { child, grpc: Number(m[1]), grpcRaw: Number(m[2]), http: Number(m[3]) };
}

async function startServe(): Promise<{ serve: ServeProcess; grpcPort: number; httpPort: number }> {
  const dir = tempDir('tl-decide-bench-');
  writeFileSync(join(dir, 'gw.log'), '');
  const grpcPort = await freePort();
  const config = writeServeConfig(
    dir,
    join(dir, 'gw.log'),
    `budgets:
  - { scope: global, period: monthly, limit_usd: 1000000000, enforce: block }
  - { scope: team, subject: ml, period: daily, limit_usd: 1000000000, enforce: warn }
  - { scope: user, subject: alice, period: monthly, limit_usd: 1000000000, enforce: block, grace: 0.1 }
enforcement:
  grpc_listen: 127.0.0.1:${grpcPort}
${RESERVATION_TTL ? `  reservation_ttl: ${RESERVATION_TTL}\n` : ''}`
  );
  // The test helper's 50 ms ingest poll keeps tests quick; serve runs with the default (500 ms) where it decides.
  writeFileSync(config, readFileSync(config, 'utf8').replace(/^poll_interval_ms: .*$/m, 'poll_interval_ms: 500'));
  const serve = await ServeProcess.start(config, undefined, PROBE_ENV);
  return { serve, grpcPort, httpPort: Number(new URL(serve.baseUrl).port) };
}

const ms = (v: number) => v.toFixed(3).padStart(8);
const perSecond = (v: number) => Math.round(v).toString().padStart(7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Target {
  protocol: string;
  /** tokenledger, or a no-op server named by what it runs on. */
  server: string;
  make: (callers: number) => { call: Call; close: () => void };
  /** The server's process, whose CPU time per decision the bench reports. */
  pid: number;
}

type Measured = Result & {
  dropped?: number;
  clientLagP99: number;
  serverCpuUs: number;
  /** Of serverCpuUs, the main thread's (JavaScript, the event loop); the rest is V8's GC helpers, DuckDB, libuv. */
  serverMainCpuUs: number;
  server: ProbeReport;
  ms: number;
};

/**
 * CPU time so far (user + system), ms, from /proc (Linux; clock ticks of 10 ms): of the process `pid`, or with
 * `thread` of that one thread (the main thread's id is the process id).
 */
function cpuMs(pid: number, thread?: number): number {
  // Fields after the parenthesised command name: state is the 3rd field, utime the 14th and stime the 15th.
  const fields = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Load {
  name: string;
  callers: number;
  run: (call: Call) => Promise<Result & { dropped?: number }>;
}

/**
 * Every load on every target, ROUNDS times, tokenledger and no-op of a protocol taking turns within a round so
 * that both see the same background load; each figure is the median over the rounds.
 */
async function main(): Promise<void> {
  const { serve, grpcPort, httpPort } = await startServe();
  const noop = await startNoop();
  const path = '/ext_authz/v1/chat/completions';
  const targets = (
    [
      { protocol: 'gRPC', server: 'tokenledger', make: () => grpcCall(grpcPort), pid: serve.child.pid! },
      { protocol: 'gRPC', server: 'no-op grpc-js', make: () => grpcCall(noop.grpc), pid: noop.child.pid! },
      { protocol: 'gRPC', server: 'no-op http2', make: () => grpcCall(noop.grpcRaw), pid: noop.child.pid! },
      { protocol: 'HTTP', server: 'tokenledger', make: (c) => httpCall(httpPort, path, c), pid: serve.child.pid! },
      { protocol: 'HTTP', server: 'no-op http', make: (c) => httpCall(noop.http, path, c), pid: noop.child.pid! },
    ] satisfies Target[]
  ).filter((t) => PROTOCOLS.includes(t.protocol));
  const runMs = (SECONDS * 1000) / ROUNDS;
  const loads: Load[] = [
    ...CONCURRENCY.map((c) => ({
      name: `${c} caller(s)`,
      callers: c,
      run: (call: Call) => closedLoop(call, c, runMs),
    })),
    { name: `${OPEN_RATE}/s offered`, callers: 100, run: (call: Call) => openLoop(call, OPEN_RATE, runMs, 1000) },
  ];
  const rows: { target: Target; load: Load; results: Measured[] }[] = [];
  try {
    for (const protocol of PROTOCOLS)
      for (const load of loads) {
        const pair = targets
          .filter((t) => t.protocol === protocol)
          .map((target) => ({ target, load, results: [] as Measured[] }));
        rows.push(...pair);
        for (let round = 0; round < ROUNDS; round++)
          for (const row of pair) {
            const client = row.target.make(load.callers);
            await closedLoop(client.call, load.callers, WARMUP_MS);
            const lag = monitorEventLoopDelay({ resolution: 1 });
            lag.enable();
            const pid = row.target.pid;
            await probe(pid);
            const [cpuBefore, mainBefore, start] = [cpuMs(pid), cpuMs(pid, pid), performance.now()];
            const result = await load.run(client.call);
            const [serverCpuMs, mainCpuMs] = [cpuMs(pid) - cpuBefore, cpuMs(pid, pid) - mainBefore];
            const elapsed = performance.now() - start;
            lag.disable();
            row.results.push({
              ...result,
              clientLagP99: lag.percentile(99) / 1e6,
              serverCpuUs: (serverCpuMs * 1000) / result.n,
              serverMainCpuUs: (mainCpuMs * 1000) / result.n,
              server: await probe(pid),
              ms: elapsed,
            });
            client.close();
          }
      }
  } finally {
    noop.child.kill('SIGTERM');
    await serve.stop();
  }
  const figure = (row: (typeof rows)[number]) => ({
    p50: median(row.results.map((r) => r.p50)),
    p99: median(row.results.map((r) => r.p99)),
    perSecond: median(row.results.map((r) => r.perSecond)),
    dropped: row.results.reduce((sum, r) => sum + (r.dropped ?? 0), 0),
    clientLagP99: median(row.results.map((r) => r.clientLagP99)),
    serverCpuUs: median(row.results.map((r) => r.serverCpuUs)),
    serverMainCpuUs: median(row.results.map((r) => r.serverMainCpuUs)),
    serverLoopP99: median(row.results.map((r) => r.server.loopDelayP99Ms)),
    serverLoopMax: Math.max(...row.results.map((r) => r.server.loopDelayMaxMs)),
    gcMsPerS: median(row.results.map((r) => (r.server.gcMs * 1000) / r.ms)),
    gcMax: Math.max(...row.results.map((r) => r.server.gcMaxMs)),
  });
  console.log(
    `\nmedian of ${ROUNDS} rounds of ${runMs / 1000} s, loopback; serve and the no-op servers in their own processes;\n` +
      "server CPU: the server process's CPU time per decision (user + system; what the server costs whatever\n" +
      "else runs), all threads and its main thread alone; client lag: this process's event-loop delay p99 (the load\n" +
      "generator's own queueing); in the server (./decideProbe.ts): its event-loop delay p99 (median of rounds) and\n" +
      'max (of all rounds), its GC pauses in ms per second of run (median) and the longest pause (of all rounds)\n'
  );
  console.log(
    'protocol  server         load              p50 ms   p99 ms  decisions/s  server CPU us (main)  client lag p99 ms' +
      '  server loop p99 / max ms  GC ms/s / max ms'
  );
  for (const row of rows) {
    const f = figure(row);
    console.log(
      `${row.target.protocol.padEnd(9)} ${row.target.server.padEnd(14)} ${row.load.name.padEnd(15)} ${ms(f.p50)} ${ms(f.p99)}  ${perSecond(f.perSecond)}  ${perSecond(f.serverCpuUs)} ${perSecond(f.serverMainCpuUs)}     ${ms(f.clientLagP99)}       ${ms(f.serverLoopP99)} ${ms(f.serverLoopMax)}   ${ms(f.gcMsPerS)} ${ms(f.gcMax)}${f.dropped ? `  (${f.dropped} not sent: 1000 in flight)` : ''}`
    );
  }
  console.log('\nratio tokenledger / no-op (same protocol and load): p50, p99, decisions/s');
  for (const row of rows.filter((r) => r.target.server === 'tokenledger'))
    for (const noopRow of rows.filter(
      (r) => r.target.server !== 'tokenledger' && r.target.protocol === row.target.protocol && r.load === row.load
    )) {
      const [f, base] = [figure(row), figure(noopRow)];
      console.log(
        `${row.target.protocol.padEnd(9)} ${noopRow.target.server.padEnd(14)} ${row.load.name.padEnd(15)} ${(f.p50 / base.p50).toFixed(2).padStart(6)} ${(f.p99 / base.p99).toFixed(2).padStart(6)} ${(f.perSecond / base.perSecond).toFixed(2).padStart(6)}`
      );
    }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
