import type { RejectReason } from '../../src/types';
import type { Prng } from './prng';

/**
 * The test's own books: every line the fault suite writes, what TokenLedger must make of it (store it once
 * with these tokens and this cost, or quarantine it once with this reason at this line), and where it was
 * written, after which fault. Nothing here comes from TokenLedger's code: tokens and costs are computed from
 * the generated values and the test price book (TEST_PRICES in helpers.ts).
 */

/** TEST_PRICES in pico-USD per token (USD per 1M tokens x 10^6): input, cache read, output. */
const PICO_PER_TOKEN: Record<string, { input: bigint; cacheRead: bigint; output: bigint }> = {
  'gpt-4o': { input: 2_500_000n, cacheRead: 1_250_000n, output: 10_000_000n },
  'gpt-4o-mini': { input: 150_000n, cacheRead: 75_000n, output: 600_000n },
  'claude-haiku-4-5': { input: 1_000_000n, cacheRead: 100_000n, output: 5_000_000n },
};
const MODELS = Object.keys(PICO_PER_TOKEN);
const USERS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com'];
/** Tier multipliers of TEST_PRICES as a fraction (numerator, denominator). */
const TIER_MULTIPLIER: Record<string, [bigint, bigint]> = { gold: [3n, 2n], free: [1n, 1n] };
/** 2025-12-01T00:00:00Z: request start times go up by a millisecond per request from here. */
const FIRST_START_S = 1764547200;

/** Where a line was written: the file's name at the time, its line number and byte offset, and the fault before it. */
export interface Where {
  family: string;
  file: string;
  line: number;
  offset: number;
  /** Number of the last fault before the write (0: none yet). */
  afterFault: number;
}

export interface Tokens {
  inputUncached: number;
  cacheRead: number;
  output: number;
}

/** What a line must become. */
export type Outcome =
  | { kind: 'store' }
  | { kind: 'quarantine'; reason: RejectReason }
  /** Written before `serve` started with `start_at: end`: must not be stored. */
  | { kind: 'notStored' };

export interface Request {
  id: string;
  user: string;
  model: string;
  tier: string;
  startS: number;
  tokens: Tokens;
  outcome: Outcome;
  /** Every place the line was written: the first, then replays (which must not count again). */
  written: Where[];
  label: string;
}

/** A written line that has no request id of its own (lone `{`, too long): only a reject can account for it. */
export interface RefusedLine {
  where: Where;
  reason: RejectReason;
  label: string;
}

/** The bytes of one line (newline included) and what it is. */
export interface Line {
  bytes: Buffer;
  request?: Request;
  refused?: { reason: RejectReason; label: string };
}

export type PoisonKind =
  | 'huge_completion_tokens'
  | 'max_safe_tokens'
  | 'start_far_future'
  | 'start_far_past'
  | 'huge_string'
  | 'lone_brace'
  | 'not_json'
  | 'invalid_utf8';
export const POISON_KINDS: readonly PoisonKind[] = [
  'huge_completion_tokens',
  'max_safe_tokens',
  'start_far_future',
  'start_far_past',
  'huge_string',
  'lone_brace',
  'not_json',
  'invalid_utf8',
];

export class Book {
  readonly requests = new Map<string, Request>();
  readonly refused: RefusedLine[] = [];
  private seq = 0;
  /** Lines written, replays and refused lines included. */
  linesWritten = 0;

  constructor(private readonly prng: Prng) {}

  /** A fresh, valid LiteLLM line with random tokens. */
  request(): Line {
    const r = this.newRequest();
    this.requests.set(r.id, r);
    return { bytes: Buffer.from(`${JSON.stringify(litellmRecord(r))}\n`), request: r };
  }

  private newRequest(): Request {
    const n = ++this.seq;
    const prompt = this.prng.int(1, 20_000);
    const tokens: Tokens = {
      cacheRead: this.prng.chance(0.5) ? this.prng.int(0, prompt) : 0,
      inputUncached: 0,
      output: this.prng.int(0, 4_000),
    };
    tokens.inputUncached = prompt - tokens.cacheRead;
    return {
      id: `req-${n}`,
      user: this.prng.pick(USERS),
      model: this.prng.pick(MODELS),
      tier: this.prng.chance(0.3) ? 'gold' : 'free',
      startS: FIRST_START_S + n / 1000,
      tokens,
      outcome: { kind: 'store' },
      written: [],
      label: 'request',
    };
  }

  /** A line TokenLedger must refuse. */
  poison(kind: PoisonKind): Line {
    if (kind === 'lone_brace')
      return {
        bytes: Buffer.from('{\n'),
        refused: { reason: 'invalid_json', label: 'a lone { (pretty-printed record cut short)' },
      };
    if (kind === 'not_json')
      return {
        bytes: Buffer.from(`not json: gateway crashed at ${this.seq}\n`),
        refused: { reason: 'invalid_json', label: 'a line that is not JSON' },
      };
    const line = this.request();
    const r = line.request!;
    const record = litellmRecord(r);
    const usage = (record.metadata as { usage_object: Record<string, unknown> }).usage_object;
    const setCompletion = (v: number) => {
      record.completion_tokens = v;
      usage.completion_tokens = v;
    };
    r.outcome = { kind: 'quarantine', reason: 'invalid_field' };
    switch (kind) {
      case 'huge_completion_tokens':
        // At gpt-4o's $10 per 1M output tokens: 10^19 pico-USD, beyond int64.
        record.model = 'gpt-4o';
        setCompletion(1e12);
        r.label = 'completion_tokens 1e12 (cost beyond int64 pico-USD)';
        break;
      case 'max_safe_tokens':
        record.model = 'gpt-4o';
        setCompletion(Number.MAX_SAFE_INTEGER);
        r.label = 'completion_tokens 2^53-1';
        break;
      case 'start_far_future':
        record.startTime = 1e20;
        record.endTime = 1e20 + 1;
        r.label = 'startTime 1e20';
        break;
      case 'start_far_past':
        record.startTime = -1e15;
        record.endTime = -1e15 + 1;
        r.label = 'startTime -1e15';
        break;
      case 'huge_string':
        (record.metadata as Record<string, unknown>).user_api_key_user_id = `u${'x'.repeat(3_000_000)}`;
        r.label = 'a 3 MB user field';
        break;
      case 'invalid_utf8': {
        // Users that differ only in their invalid bytes (ff fe, ff c0, ff 80) would merge if decoded as U+FFFD:
        // such a line is refused.
        const marker = `INVALID-UTF8-${r.id}`;
        (record.metadata as Record<string, unknown>).user_api_key_user_id = `user-${marker}`;
        const text = `${JSON.stringify(record)}\n`;
        const at = text.indexOf(marker);
        const bytes = Buffer.concat([
          Buffer.from(text.slice(0, at)),
          Buffer.from([0xff, this.prng.pick([0xfe, 0xc0, 0x80])]),
          Buffer.from(text.slice(at + marker.length)),
        ]);
        r.user = '(invalid UTF-8)';
        r.outcome = { kind: 'quarantine', reason: 'invalid_utf8' };
        r.label = 'invalid UTF-8 in the user field';
        return { bytes, request: r };
      }
    }
    return { bytes: Buffer.from(`${JSON.stringify(record)}\n`), request: r };
  }

  /** A line of 1.5 to 2 times `maxLineBytes` (valid JSON otherwise): refused as too long. */
  overlong(maxLineBytes: number): Line {
    const r = this.newRequest();
    const record = { ...litellmRecord(r), padding: '' };
    const base = JSON.stringify(record).length;
    record.padding = 'p'.repeat(maxLineBytes - base + this.prng.int(maxLineBytes >> 1, maxLineBytes));
    return {
      bytes: Buffer.from(`${JSON.stringify(record)}\n`),
      refused: { reason: 'line_too_long', label: `a line over max_line_bytes (${r.id})` },
    };
  }

  /** The same bytes again (a replayed log): must not count twice. */
  replayOf(request: Request): Line {
    return { bytes: Buffer.from(`${JSON.stringify(litellmRecord(request))}\n`), request };
  }

  /** A valid request already written, to replay. */
  storedRequestToReplay(): Request | undefined {
    for (let tries = 0; tries < 10 && this.seq > 0; tries++) {
      const r = this.requests.get(`req-${this.prng.int(1, this.seq)}`);
      if (r && r.outcome.kind === 'store' && r.written.length) return r;
    }
    return undefined;
  }

  /** Lines written before `serve` first started with `start_at: end`: they must not be stored. */
  notStored(lines: readonly Line[]): void {
    for (const l of lines) if (l.request) l.request.outcome = { kind: 'notStored' };
  }

  /** Records that `line` was written at `where`. */
  wrote(line: Line, where: Where): void {
    this.linesWritten++;
    if (line.request) line.request.written.push(where);
    else if (line.refused) this.refused.push({ where, ...line.refused });
  }

  /** Lines TokenLedger must have accounted for (stored or quarantined) once it has caught up. */
  accountable(): number {
    let n = this.refused.length;
    for (const r of this.requests.values()) if (r.written.length && r.outcome.kind !== 'notStored') n++;
    return n;
  }
}

/** The LiteLLM StandardLoggingPayload fields TokenLedger reads, for `r`. */
function litellmRecord(r: Request): Record<string, unknown> {
  const prompt = r.tokens.inputUncached + r.tokens.cacheRead;
  return {
    id: r.id,
    call_type: 'acompletion',
    status: 'success',
    startTime: r.startS,
    endTime: r.startS + 0.5,
    model: r.model,
    prompt_tokens: prompt,
    completion_tokens: r.tokens.output,
    metadata: {
      user_api_key_user_id: r.user,
      user_api_key_alias: 'fault-suite',
      usage_object: {
        prompt_tokens: prompt,
        completion_tokens: r.tokens.output,
        prompt_tokens_details: { cached_tokens: r.tokens.cacheRead },
      },
    },
    request_tags: [`tier:${r.tier}`],
  };
}

/** List cost and tier charge of a request in pico-USD, from TEST_PRICES. */
export function expectedCost(r: Request): { costPusd: bigint; chargePusd: bigint } {
  const p = PICO_PER_TOKEN[r.model]!;
  const costPusd =
    BigInt(r.tokens.inputUncached) * p.input +
    BigInt(r.tokens.cacheRead) * p.cacheRead +
    BigInt(r.tokens.output) * p.output;
  const [num, den] = TIER_MULTIPLIER[r.tier]!;
  return { costPusd, chargePusd: (costPusd * num) / den };
}
