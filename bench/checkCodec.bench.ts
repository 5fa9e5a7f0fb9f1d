/**
 * The gRPC door's message codec (exporter/src/enforcement/extAuthz/checkWire.ts) against the baseline measured in
 * the same run: protobuf.js over the same .proto with the plain-object mapping the door had until session 15,
 * and the body parsed whole as it was until session 16 (below). Per decision: a CheckRequest as bench:decide sends it (./envoyCheck.ts) decoded into the decision's
 * request, and an allow with the five headers a budget answer carries encoded as a CheckResponse; then the same
 * with a 64 KiB document in the prompt (./envoyCheck.ts longPromptBody), OPS / 20 decisions a round.
 *   npm run bench:codec -- [--rounds N] [--ops N]     (default 5 rounds of 100,000 decisions)
 * Prints the median of the rounds: CPU time a decision, bytes allocated a decision (the heap's growth over
 * batches too small to trigger a collection: run with a 64 MB young generation and --expose-gc, as the npm
 * script does), and what a request id kept by its reservation holds on the heap once collected (the reservation
 * outlives young-generation collections, so this is what it promotes to the old space).
 */
import { parseArgs } from 'node:util';
import type { CheckRequest, Decision } from '../exporter/src/enforcement/decider';
import type { CheckRequestMessage, CheckResponseMessage } from '../exporter/src/enforcement/extAuthz/checkMessages';
import { decodeCheckRequest, encodeCheckResponse } from '../exporter/src/enforcement/extAuthz/checkWire';
import { extAuthzTypes, OVERWRITE_IF_EXISTS_OR_ADD } from '../exporter/src/enforcement/extAuthz/protos';
import { CHAT_BODY, envoyCheckRequest, longPromptBody } from './envoyCheck';
import { collectGarbage as gc, median } from './measure';

const ALLOW: Decision = {
  kind: 'allow',
  status: 200,
  headers: {
    'x-ratelimit-limit': '1000000',
    'x-ratelimit-remaining': '999874.123456789012',
    'x-ratelimit-reset': '2419200',
    'x-tokenledger-budget': 'global/-/monthly',
    'x-tokenledger-decision': 'allow',
  },
  reason: 'within budget global/-/monthly (spent 125.876543210988 of 1000000 USD)',
};

interface Codec {
  name: string;
  decode(bytes: Buffer): CheckRequest;
  encode(decision: Decision): Uint8Array;
}

/** The body as the door read it until session 16: all of it, with JSON.parse. */
function parsedBody(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The baseline: protobuf.js messages and the door's mapping of them until session 15 (allow answers only). */
function protobufJs(): Codec {
  const { CheckRequest, CheckResponse } = extAuthzTypes();
  return {
    name: 'protobuf.js (before)',
    decode(bytes) {
      const m = CheckRequest.decode(bytes) as unknown as CheckRequestMessage;
      const http = m.attributes?.request?.http ?? {};
      const headers = http.headers ?? {};
      return { requestId: headers['x-request-id'] || undefined, headers, body: parsedBody(http.body) };
    },
    encode(decision) {
      const headers = Object.entries(decision.headers).map(([key, value]) => ({
        header: { key, value },
        append_action: OVERWRITE_IF_EXISTS_OR_ADD,
      }));
      const response: CheckResponseMessage = {
        status: { code: 0 },
        ok_response: { headers, response_headers_to_add: headers },
      };
      return CheckResponse.encode(response).finish();
    },
  };
}

const checkWire: Codec = {
  name: 'checkWire (now)',
  decode: (bytes) => decodeCheckRequest(bytes).request,
  encode: encodeCheckResponse,
};

interface Figures {
  nsPerDecision: number;
  bytesPerDecision: number;
  idBytesKept: number;
}

/** A request's bytes with its own id (the ids of one round differ, as a gateway's do). */
function requests(n: number, body: string): Buffer[] {
  const { CheckRequest } = extAuthzTypes();
  return Array.from({ length: n }, (_, i) =>
    Buffer.from(CheckRequest.encode(envoyCheckRequest(`bench-${String(i).padStart(12, '0')}`, body)).finish())
  );
}

function measure(codec: Codec, wires: readonly Buffer[]): Figures {
  let sink = 0;
  const decide = (wire: Buffer) => {
    const request = codec.decode(wire);
    sink += codec.encode(ALLOW).length + (request.requestId?.length ?? 0);
    return request;
  };
  for (const w of wires.slice(0, 2000)) decide(w); // optimised before it is measured

  gc();
  const cpu = process.cpuUsage();
  for (const w of wires) decide(w);
  const { user, system } = process.cpuUsage(cpu);
  const nsPerDecision = ((user + system) * 1000) / wires.length;

  // Allocation: the heap's growth over batches a young generation of 64 MB holds without collecting (whole
  // prompts parsed included: a batch allocates at most ~16 MB).
  const BATCH = Math.max(10, Math.min(2000, Math.floor(4e6 / wires[0]!.length)));
  const perBatch: number[] = [];
  for (let from = 0; from + BATCH <= wires.length && perBatch.length < 10; from += BATCH) {
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = from; i < from + BATCH; i++) decide(wires[i]!);
    perBatch.push((process.memoryUsage().heapUsed - before) / BATCH);
  }

  // What a reservation keeps: the request ids of 10,000 decisions, held after a full collection.
  gc();
  const base = process.memoryUsage().heapUsed;
  const kept = wires.slice(0, 10_000).map((w) => codec.decode(w).requestId);
  gc();
  const idBytesKept = (process.memoryUsage().heapUsed - base) / kept.length;
  if (sink < 0 || kept.length === 0) throw new Error('unreachable: keeps the work from being optimised away');
  return { nsPerDecision, bytesPerDecision: median(perBatch), idBytesKept };
}

function main(): void {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '5' }, ops: { type: 'string', default: '100000' } },
  });
  const rounds = Number(values.rounds);
  const ops = Number(values.ops);
  for (const [body, n] of [
    [CHAT_BODY, ops],
    [longPromptBody(64), Math.ceil(ops / 20)],
  ] as const)
    report(rounds, requests(n, body));
}

function report(rounds: number, wires: readonly Buffer[]): void {
  const codecs = [protobufJs(), checkWire];
  const results = new Map<string, Figures[]>(codecs.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) for (const c of codecs) results.get(c.name)!.push(measure(c, wires));
  const med = (name: string, key: keyof Figures) => median(results.get(name)!.map((f) => f[key]));
  console.log(
    `\nmedian of ${rounds} rounds of ${wires.length} decisions: decode a CheckRequest (${wires[0]!.length} bytes), encode an allow`
  );
  console.log('codec                    CPU ns/decision   allocated B/decision   request id kept, B');
  for (const c of codecs)
    console.log(
      `${c.name.padEnd(24)} ${med(c.name, 'nsPerDecision').toFixed(0).padStart(15)}   ${med(c.name, 'bytesPerDecision')
        .toFixed(0)
        .padStart(20)}   ${med(c.name, 'idBytesKept').toFixed(0).padStart(18)}`
    );
  const [before, now] = codecs.map((c) => c.name) as [string, string];
  const ratio = (key: keyof Figures) => (med(before, key) / med(now, key)).toFixed(2);
  console.log(
    `ratio before / now: CPU ${ratio('nsPerDecision')}, allocated ${ratio('bytesPerDecision')}, id kept ${ratio('idBytesKept')}`
  );
}

main();
