/**
 * bench:decide's load generator, one process per measured run (forked by ./decide.bench.ts), so that nothing of
 * the orchestrator (probes, /proc reads, summaries) and no garbage of an earlier run shares its event loop. It is
 * built to add as little as it can to what it measures, the same for tokenledger and the no-op servers:
 * - every request is encoded once, before the run, as a template (a gRPC frame of a CheckRequest, or the raw
 *   bytes of an HTTP/1.1 request); a request is a copy of it with its own fixed-width `x-request-id` digits
 *   written in, so no protobuf or JSON work and little garbage happens while measuring;
 * - latencies go to preallocated Float64Arrays, answers are checked by reading their status bytes;
 * - HTTP goes over raw keep-alive sockets (one request on a socket at a time, as Envoy's HTTP/1.1 pool does),
 *   gRPC over one HTTP/2 connection of ./h2Client.ts (node:http2's client cost more CPU a request than the
 *   servers measured); TCP_NODELAY on every client socket;
 * - the open loop sends on a fixed schedule (rate / 1000 requests each millisecond: scheduledAt), whatever the
 *   answers do, so a stall of the server delays every request sent meanwhile and each one's latency from its send
 *   counts it; a stall of the generator shows in how late it sent (lateness p99) and in the latency from the
 *   scheduled time (coordinated-omission aware), both reported beside it.
 * Protocol with the parent (IPC): argv[2] is a LoadSpec; the child warms up, sends 'ready', waits for 'go',
 * runs, sends its LoadResult and exits.
 */
import { connect as netConnect, Socket } from 'node:net';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { CHECK_METHOD_PATH, extAuthzTypes } from '../exporter/src/enforcement/extAuthz/protos';
import { CHAT_BODY, CLIENT_HEADERS, envoyCheckRequest } from './envoyCheck';
import { grpcFrame } from './grpcFrame';
import { H2Client } from './h2Client';

export interface LoadSpec {
  protocol: 'gRPC' | 'HTTP';
  port: number;
  /** HTTP: the path posted to (the door's prefix + the client's path). */
  path: string;
  /** closed: `callers` callers, each asking again once answered; open: `rate` a second. */
  mode: 'closed' | 'open';
  /** Callers of the closed loop, and of the warm-up before either loop. */
  callers: number;
  rate: number;
  /** Open loop: requests outstanding at most; one due beyond that is counted as not sent. */
  maxInFlight: number;
  warmupMs: number;
  runMs: number;
}

export interface LoadResult {
  n: number;
  elapsedMs: number;
  /** Latency from each request's send to its answer, ms. */
  p50: number;
  p99: number;
  /**
   * Open loop: latency p99 from each request's scheduled time, ms (coordinated-omission aware: it counts a stall
   * of the generator against every request the stall delayed; it also holds the timer's granularity, ~1 ms).
   */
  scheduledP99: number;
  /** Open loop: how late the generator sent, p99, ms (0 in a closed loop). */
  latenessP99: number;
  /** Open loop: requests not sent because maxInFlight were outstanding. */
  dropped: number;
  /** The generator's own event-loop delay p99 (1 ms resolution, so 1 ms is an idle loop), ms. */
  lagP99: number;
  /** The generator's GC pauses, ms a second of run. */
  gcMsPerS: number;
  /** The generator's CPU time (all its threads) per request, µs. */
  cpuUs: number;
}

/** Request ids are `bench-<pid, 7 digits>-<sequence, 12 digits>`: fixed width, so a template's bytes keep their offsets. */
const SEQUENCE_DIGITS = 12;
const ID_PREFIX = `bench-${String(process.pid).padStart(7, '0')}-`;
const ID_PLACEHOLDER = ID_PREFIX + '#'.repeat(SEQUENCE_DIGITS);

/** A request's bytes with a fresh request id: the template copied, its sequence digits written in. */
class Requests {
  private sequence = 0;
  private readonly at: number;

  constructor(private readonly template: Buffer) {
    this.at = template.indexOf(ID_PLACEHOLDER) + ID_PREFIX.length;
    if (this.at < ID_PREFIX.length || template.indexOf(ID_PLACEHOLDER, this.at) !== -1)
      throw new Error('the request template must hold the request id exactly once');
  }

  next(): Buffer {
    const bytes = Buffer.allocUnsafe(this.template.length);
    this.template.copy(bytes);
    let n = ++this.sequence;
    for (let i = this.at + SEQUENCE_DIGITS - 1; i >= this.at; i--) {
      bytes[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    return bytes;
  }
}

/** Sends one request; `done` is called once, with an error when the answer is not the expected allow. */
interface Client {
  send(done: (error?: Error) => void): void;
  close(): void;
}

/** Reads a protobuf varint at `pos` of `b`; returns [value, next position]. Small values only (lengths, codes). */
function varint(b: Buffer, pos: number): [number, number] {
  let value = 0;
  for (let shift = 0; pos < b.length; shift += 7) {
    const byte = b[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
  }
  throw new Error('truncated varint');
}

/**
 * The google.rpc.Code of a CheckResponse message (field 1, status; its field 1, code), or -1 when it carries a
 * denied_response (field 2). Reads the top-level fields only: no protobuf decoding in the generator.
 */
export function checkResponseCode(message: Buffer): number {
  let code = 0;
  for (let pos = 0; pos < message.length;) {
    const [tag, afterTag] = varint(message, pos);
    const [field, wire] = [Math.floor(tag / 8), tag % 8];
    if (wire === 0) {
      pos = varint(message, afterTag)[1];
      continue;
    }
    if (wire !== 2) throw new Error(`CheckResponse: unexpected wire type ${wire}`);
    const [length, start] = varint(message, afterTag);
    if (field === 2) return -1;
    if (field === 1) {
      for (let p = start; p < start + length;) {
        const [t, afterT] = varint(message, p);
        if (t === 0x08) {
          code = varint(message, afterT)[0];
          break;
        }
        p = t % 8 === 0 ? varint(message, afterT)[1] : (([l, s]) => s + l)(varint(message, afterT));
      }
    }
    pos = start + length;
  }
  return code;
}

/**
 * gRPC over one HTTP/2 connection (as one Envoy worker's ext_authz client), on ./h2Client.ts: a stream a
 * request, the pre-encoded frame as its body. An answer is an allow when the stream brought response headers, one
 * gRPC message and trailers, and the message is a CheckResponse with status OK and no denied_response. (The
 * header blocks are not decoded, so grpc-status is not read: an error is a trailers-only answer, without a
 * message, and is counted as one.)
 */
function grpcClient(port: number): Client {
  const { CheckRequest } = extAuthzTypes();
  const requests = new Requests(grpcFrame(CheckRequest.encode(envoyCheckRequest(ID_PLACEHOLDER)).finish()));
  const client = new H2Client(port, [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', CHECK_METHOD_PATH],
    [':authority', `127.0.0.1:${port}`],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
  ]);
  return {
    send(done) {
      client.request(requests.next(), (error, { data, headerBlocks }) => {
        if (error) return done(error);
        if (headerBlocks !== 2 || !data) return done(new Error('an answer without a message (a gRPC error)'));
        if (data.length < 5 || data[0] !== 0 || data.readUInt32BE(1) !== data.length - 5)
          return done(new Error('not one uncompressed gRPC message'));
        const code = checkResponseCode(data.subarray(5));
        done(code === 0 ? undefined : new Error(`denied (CheckResponse status ${code})`));
      });
    },
    close: () => client.close(),
  };
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive HTTP/1.1 connection: a request at a time, the answer's status read from its status line. */
class HttpConnection {
  private readonly socket: Socket;
  private received: Buffer | undefined;
  private done: ((error?: Error) => void) | undefined;
  closed = false;

  constructor(port: number, onClose: (c: HttpConnection) => void) {
    this.socket = netConnect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', () => {}); // reported by 'close'
    this.socket.on('close', () => {
      this.closed = true;
      onClose(this);
      this.finish(new Error('connection closed'));
    });
  }

  send(bytes: Buffer, done: (error?: Error) => void): void {
    this.done = done;
    this.socket.write(bytes);
  }

  private onData(d: Buffer): void {
    const r = (this.received = this.received ? Buffer.concat([this.received, d]) : d);
    const headerEnd = r.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = r.toString('latin1', 0, headerEnd).toLowerCase();
    const m = /\r\ncontent-length: *(\d+)/.exec(head);
    if (!m) return this.finish(new Error('an answer without content-length'));
    if (r.length < headerEnd + 4 + Number(m[1])) return;
    const status = head.slice(9, 12);
    this.finish(status === '200' ? undefined : new Error(`HTTP ${status}`));
  }

  private finish(error?: Error): void {
    const done = this.done;
    this.received = undefined;
    this.done = undefined;
    done?.(error);
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * HTTP/1.1 as Envoy's HTTP ext_authz client sends it: a pool of keep-alive connections, one request on a
 * connection at a time, a new connection when none is idle.
 */
function httpClient(port: number, path: string): Client {
  const head =
    `POST ${path} HTTP/1.1\r\nhost: llm.example.com\r\nx-request-id: ${ID_PLACEHOLDER}\r\n` +
    `content-length: ${Buffer.byteLength(CHAT_BODY)}\r\n` +
    Object.entries(CLIENT_HEADERS)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  const requests = new Requests(Buffer.from(head + CHAT_BODY));
  const idle: HttpConnection[] = [];
  const all = new Set<HttpConnection>();
  const onClose = (c: HttpConnection) => {
    all.delete(c);
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
  };
  return {
    send(done) {
      let c = idle.pop();
      if (!c) all.add((c = new HttpConnection(port, onClose)));
      const connection = c;
      connection.send(requests.next(), (error) => {
        if (!connection.closed) idle.push(connection);
        done(error);
      });
    },
    close() {
      for (const c of all) c.close();
    },
  };
}

/** Latencies in a Float64Array that grows by doubling (closed loops do not know their count ahead). */
class Samples {
  private values: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  push(v: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }

  percentiles(...qs: number[]): number[] {
    const sorted = this.values.subarray(0, this.length).sort();
    return qs.map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  }
}

/** The first wrong answer or failed request: the run is reported as failed, not measured. */
let firstError: Error | undefined;
const noteError = (e: Error) => (firstError ??= e);
function throwIfFailed(): void {
  if (firstError) throw firstError;
}

/** `callers` callers, each asking again as soon as it is answered, for `ms`; latencies from each send. */
function closedLoop(client: Client, callers: number, ms: number): Promise<{ latencies: Samples; elapsedMs: number }> {
  const latencies = new Samples(1 << 16);
  const start = performance.now();
  const end = start + ms;
  return new Promise((resolve) => {
    let running = callers;
    const ask = () => {
      const t = performance.now();
      if (t >= end) {
        if (--running === 0) resolve({ latencies, elapsedMs: performance.now() - start });
        return;
      }
      client.send((e) => {
        if (e) noteError(e);
        latencies.push(performance.now() - t);
        ask();
      });
    };
    for (let i = 0; i < callers; i++) ask();
  });
}

/**
 * The open loop's schedule: whole milliseconds (libuv's timers wake at millisecond granularity), each with its
 * share of the rate (at 2,000/s two requests a millisecond), so that a send on time is within the timer's own
 * lateness of its scheduled time rather than up to a millisecond behind it. A metronome thread sleeping with
 * Atomics.wait was tried for an exact interval: on this VM it cost 160-196 µs of the generator's CPU a request
 * against 78-91 with timers (every wake-up of either thread costs CPU), and was later, not earlier, under load.
 */
function scheduledAt(start: number, i: number, rate: number): number {
  return start + Math.floor((i * 1000) / rate);
}

/**
 * `rate` requests a second for `ms` on a fixed schedule whatever the answers do (a gateway's traffic does not
 * wait for earlier decisions), at most `maxInFlight` outstanding (beyond: counted as not sent). Latency from each
 * request's scheduled time and from its actual send.
 */
interface OpenLoopRun {
  fromSchedule: Samples;
  fromSend: Samples;
  lateness: Samples;
  dropped: number;
  elapsedMs: number;
}

function openLoop(client: Client, spec: LoadSpec): Promise<OpenLoopRun> {
  const count = Math.floor((spec.runMs * spec.rate) / 1000);
  const [fromSchedule, fromSend, lateness] = [new Samples(count), new Samples(count), new Samples(count)];
  const start = performance.now() + 1;
  let next = 0;
  let inFlight = 0;
  let dropped = 0;
  let answered = 0;
  return new Promise((resolve) => {
    const finish = () => {
      if (next < count || answered + dropped < count) return;
      resolve({ fromSchedule, fromSend, lateness, dropped, elapsedMs: performance.now() - start });
    };
    const wake = () => {
      const now = performance.now();
      for (; next < count && scheduledAt(start, next, spec.rate) <= now; next++) {
        if (inFlight >= spec.maxInFlight) {
          dropped++;
          continue;
        }
        const scheduled = scheduledAt(start, next, spec.rate);
        const sent = performance.now();
        inFlight++;
        client.send((e) => {
          if (e) noteError(e);
          const t = performance.now();
          fromSchedule.push(t - scheduled);
          fromSend.push(t - sent);
          lateness.push(sent - scheduled);
          inFlight--;
          answered++;
          finish();
        });
      }
      if (next < count) setTimeout(wake, Math.max(0, scheduledAt(start, next, spec.rate) - performance.now()));
      finish();
    };
    setTimeout(wake, 1);
  });
}

function makeClient(spec: LoadSpec): Client {
  return spec.protocol === 'gRPC' ? grpcClient(spec.port) : httpClient(spec.port, spec.path);
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  const client = makeClient(spec);
  await closedLoop(client, spec.callers, spec.warmupMs);
  throwIfFailed();
  const go = new Promise((resolve) => process.once('message', resolve));
  process.send!('ready');
  await go;
  const lag = monitorEventLoopDelay({ resolution: 1 });
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  lag.enable();
  const cpu = process.cpuUsage();
  let result: LoadResult;
  if (spec.mode === 'closed') {
    const { latencies, elapsedMs } = await closedLoop(client, spec.callers, spec.runMs);
    const [p50, p99] = latencies.percentiles(0.5, 0.99) as [number, number];
    result = { n: latencies.length, elapsedMs, p50, p99, scheduledP99: p99, latenessP99: 0, dropped: 0 } as LoadResult;
  } else {
    const r = await openLoop(client, spec);
    const [p50, p99] = r.fromSend.percentiles(0.5, 0.99) as [number, number];
    const [scheduledP99] = r.fromSchedule.percentiles(0.99) as [number];
    const [latenessP99] = r.lateness.percentiles(0.99) as [number];
    const { elapsedMs, dropped } = r;
    result = { n: r.fromSend.length, elapsedMs, p50, p99, scheduledP99, latenessP99, dropped } as LoadResult;
  }
  const { user, system } = process.cpuUsage(cpu);
  result.cpuUs = (user + system) / result.n;
  lag.disable();
  gc.disconnect();
  result.lagP99 = lag.percentile(99) / 1e6;
  result.gcMsPerS = (gcMs * 1000) / result.elapsedMs;
  client.close();
  throwIfFailed();
  process.send!(result, () => process.exit(0));
}

main().catch((e: Error) => {
  console.error(`decideLoad: ${e.stack ?? e.message}`);
  process.exit(1);
});
