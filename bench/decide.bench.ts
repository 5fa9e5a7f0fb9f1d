/**
 * Decision latency of the Envoy ext_authz doors: a real `tokenledger serve` (budgets enforced, the gRPC door on
 * enforcement.grpc_listen, the HTTP door under /ext_authz) next to bare no-op servers of the same protocols
 * (bench/decideNoop.ts), both in their own processes, loaded over loopback in the same run by a load generator
 * forked for each measured run (bench/decideLoad.ts: requests encoded before the run, raw HTTP/1.1 and HTTP/2
 * clients, a fixed schedule):
 * - closed loop, 1 and 100 concurrent callers: p50, p99 and decisions/s;
 * - open loop at a fixed rate (default 2,000 decisions/s, at most 1,000 in flight): p50 and p99 when requests
 *   arrive as a gateway sends them, not as fast as answers come back.
 * Each request is a chat completion as Envoy forwards it (headers, x-request-id, a JSON body), with its own
 * request id, so every allowed decision opens a reservation as in production.
 *   npm run bench:decide -- [seconds per load and server] [open-loop rate] [gRPC|HTTP]
 *   (default 6 s in 3 rounds; 2000/s; both protocols)
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../exporter/test/daemons';
import { ServeProcess, tempDir, waitFor } from '../exporter/test/helpers';
import { writeServeConfig } from '../exporter/test/serveConfig';
import type { LoadResult, LoadSpec } from './decideLoad';
import type { ProbeReport } from './decideProbe';
import { cpuMs, median } from './measure';

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

async function startNoop(): Promise<{
  child: ChildProcess;
  grpc: number;
  grpcRaw: number;
  grpcH2: number;
  http: number;
}> {
  const child = spawn(process.execPath, [join(__dirname, 'decideNoop.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...PROBE_ENV },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const m = await waitFor(
    'the no-op servers',
    () => /noop grpc=(\d+) grpcraw=(\d+) grpch2=(\d+) http=(\d+)/.exec(out) ?? undefined,
    30_000
  );
  return { child, grpc: Number(m[1]), grpcRaw: Number(m[2]), grpcH2: Number(m[3]), http: Number(m[4]) };
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

interface Target {
  protocol: LoadSpec['protocol'];
  /** tokenledger, or a no-op server named by what it runs on. */
  server: string;
  port: number;
  /** The server's process, whose CPU time per decision the bench reports. */
  pid: number;
}

type Measured = LoadResult & {
  serverCpuUs: number;
  /** Of serverCpuUs, the main thread's (JavaScript, the event loop); the rest is V8's GC helpers, DuckDB, libuv. */
  serverMainCpuUs: number;
  server: ProbeReport;
};

interface Load {
  name: string;
  spec: Pick<LoadSpec, 'mode' | 'callers' | 'rate' | 'maxInFlight'>;
}

const HTTP_PATH = '/ext_authz/v1/chat/completions';

/**
 * One measured run of `load` on `target`: the generator (./decideLoad.ts) in its own process warms up, then the
 * server's CPU and probe are read around its run alone.
 */
async function measure(target: Target, load: Load, runMs: number): Promise<Measured> {
  const spec: LoadSpec = {
    protocol: target.protocol,
    port: target.port,
    path: HTTP_PATH,
    warmupMs: WARMUP_MS,
    runMs,
    ...load.spec,
  };
  const generator = fork(join(__dirname, 'decideLoad.js'), [JSON.stringify(spec)], { stdio: 'inherit' });
  const messages: unknown[] = [];
  let wake: () => void = () => {};
  generator.on('message', (m) => {
    messages.push(m);
    wake();
  });
  const exited = new Promise<number | null>((resolve) => generator.once('exit', resolve));
  const nextMessage = async (): Promise<unknown> => {
    while (!messages.length) {
      const arrived = new Promise<void>((r) => (wake = r));
      const code = await Promise.race([arrived.then(() => undefined), exited]);
      if (code !== undefined && !messages.length) throw new Error(`the load generator exited (${code})`);
    }
    return messages.shift();
  };
  await nextMessage(); // 'ready': warmed up
  const pid = target.pid;
  await probe(pid);
  const [cpuBefore, mainBefore] = [cpuMs(pid), cpuMs(pid, pid)];
  generator.send('go');
  const result = (await nextMessage()) as LoadResult;
  const [serverCpuMs, mainCpuMs] = [cpuMs(pid) - cpuBefore, cpuMs(pid, pid) - mainBefore];
  const server = await probe(pid);
  await exited;
  return {
    ...result,
    serverCpuUs: (serverCpuMs * 1000) / result.n,
    serverMainCpuUs: (mainCpuMs * 1000) / result.n,
    server,
  };
}

/**
 * Every load on every target, ROUNDS times, tokenledger and no-op of a protocol taking turns within a round so
 * that both see the same background load; each figure is the median over the rounds.
 */
async function main(): Promise<void> {
  const { serve, grpcPort, httpPort } = await startServe();
  const noop = await startNoop();
  const [servePid, noopPid] = [serve.child.pid!, noop.child.pid!];
  const targets = (
    [
      { protocol: 'gRPC', server: 'tokenledger', port: grpcPort, pid: servePid },
      { protocol: 'gRPC', server: 'no-op grpc-js', port: noop.grpc, pid: noopPid },
      { protocol: 'gRPC', server: 'no-op http2', port: noop.grpcRaw, pid: noopPid },
      { protocol: 'gRPC', server: 'no-op own h2', port: noop.grpcH2, pid: noopPid },
      { protocol: 'HTTP', server: 'tokenledger', port: httpPort, pid: servePid },
      { protocol: 'HTTP', server: 'no-op http', port: noop.http, pid: noopPid },
    ] satisfies Target[]
  ).filter((t) => PROTOCOLS.includes(t.protocol));
  const runMs = (SECONDS * 1000) / ROUNDS;
  const loads: Load[] = [
    ...CONCURRENCY.map((c) => ({
      name: `${c} caller(s)`,
      spec: { mode: 'closed' as const, callers: c, rate: 0, maxInFlight: c },
    })),
    { name: `${OPEN_RATE}/s offered`, spec: { mode: 'open', callers: 100, rate: OPEN_RATE, maxInFlight: 1000 } },
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
          for (const row of pair) row.results.push(await measure(row.target, load, runMs));
      }
  } finally {
    noop.child.kill('SIGTERM');
    await serve.stop();
  }
  const figure = (row: (typeof rows)[number]) => ({
    p50: median(row.results.map((r) => r.p50)),
    p99: median(row.results.map((r) => r.p99)),
    scheduledP99: median(row.results.map((r) => r.scheduledP99)),
    latenessP99: median(row.results.map((r) => r.latenessP99)),
    perSecond: median(row.results.map((r) => (r.n * 1000) / r.elapsedMs)),
    dropped: row.results.reduce((sum, r) => sum + r.dropped, 0),
    clientLagP99: median(row.results.map((r) => r.lagP99)),
    clientGcMsPerS: median(row.results.map((r) => r.gcMsPerS)),
    clientCpuUs: median(row.results.map((r) => r.cpuUs)),
    serverCpuUs: median(row.results.map((r) => r.serverCpuUs)),
    serverMainCpuUs: median(row.results.map((r) => r.serverMainCpuUs)),
    serverLoopP99: median(row.results.map((r) => r.server.loopDelayP99Ms)),
    serverLoopMax: Math.max(...row.results.map((r) => r.server.loopDelayMaxMs)),
    gcMsPerS: median(row.results.map((r) => (r.server.gcMs * 1000) / r.elapsedMs)),
    gcMajorMsPerS: median(row.results.map((r) => (r.server.gcMajorMs * 1000) / r.elapsedMs)),
    gcMax: Math.max(...row.results.map((r) => r.server.gcMaxMs)),
    gcPerThousand: median(row.results.map((r) => (r.server.gcCount * 1000) / r.n)),
  });
  console.log(
    `\nmedian of ${ROUNDS} rounds of ${runMs / 1000} s, loopback; serve, the no-op servers and the load generator\n` +
      "in their own processes. Latency from each request's send to its answer; in the open loop (a fixed schedule,\n" +
      "rate / 1000 requests each ms) also the p99 from each request's scheduled time (sch p99: coordinated-omission\n" +
      "aware, and it holds the ~1 ms of the generator's timer) and how late the generator sent (late p99).\n" +
      "server CPU: the server process's CPU time per decision (user + system; what the server costs whatever else\n" +
      "runs), all threads and its main thread alone. gen CPU / lag / GC: the generator's own CPU time per request\n" +
      '(all its threads), event-loop delay p99 (1 ms resolution: 1 ms is an idle loop) and GC ms a second. In the\n' +
      'server (./decideProbe.ts): its event-loop delay p99 (median of rounds) and max (of all rounds), its GC pauses\n' +
      'in ms per second of run (median; of which mark-compact), the longest pause (of all rounds) and GC pauses a\n' +
      'thousand decisions (median; mostly scavenges, whose number follows what a decision allocates, whatever the load)\n'
  );
  console.log(
    'protocol  server         load              p50 ms   p99 ms  sch p99  late p99  decisions/s  server CPU us (main)' +
      '  gen CPU us / lag p99 / GC ms/s  server loop p99 / max ms  GC ms/s (major) / max ms  GCs/1k'
  );
  for (const row of rows) {
    const f = figure(row);
    console.log(
      `${row.target.protocol.padEnd(9)} ${row.target.server.padEnd(14)} ${row.load.name.padEnd(15)} ${ms(f.p50)} ${ms(f.p99)}  ${ms(f.scheduledP99)}  ${ms(f.latenessP99)}  ${perSecond(f.perSecond)}  ${perSecond(f.serverCpuUs)} ${perSecond(f.serverMainCpuUs)}     ${perSecond(f.clientCpuUs)} ${ms(f.clientLagP99)} ${ms(f.clientGcMsPerS)}       ${ms(f.serverLoopP99)} ${ms(f.serverLoopMax)}   ${ms(f.gcMsPerS)} ${ms(f.gcMajorMsPerS)} ${ms(f.gcMax)} ${f.gcPerThousand.toFixed(2).padStart(7)}${f.dropped ? `  (${f.dropped} not sent: 1000 in flight)` : ''}`
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
