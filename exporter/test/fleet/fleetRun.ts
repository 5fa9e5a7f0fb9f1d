import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { tempDir, waitFor } from '../helpers';
import { Book, Line, PoisonKind } from '../faults/book';
import { Prng } from '../faults/prng';
import { sleep } from '../faults/servedLogs';
import { PG_DATABASE, RunningPostgres, startPostgres } from '../postgres';
import { ExpectedReject, expectedReject, FleetVerdict, fleetVerdict } from './fleetVerdict';
import { Replica } from './replica';

/**
 * The fleet under faults, end to end: one real PostgreSQL (test/postgres.ts), three `tokenledger serve`
 * replicas (the built CLI) each tailing its own gateway log, a writer appending LiteLLM lines to them, some
 * requests written to two replicas' logs (the same id and start time: the ledger must store them once),
 * a few refused lines; meanwhile replicas are killed with SIGKILL and restarted, logs rotated by rename, and
 * PostgreSQL itself killed and restarted. The verdict is read once every replica has caught up.
 *
 * Seeded: the schedule of kills and rotations, and what each line is and where it goes, come from the seed;
 * their timing against the replicas and the server still varies.
 */

export const NODES = ['node-a', 'node-b', 'node-c'] as const;

export interface FleetRunOptions {
  seed: number;
  /** How long the writer writes and faults happen; catching up and the verdict come after. */
  durationMs: number;
  /** Lines per second over all replicas. */
  linesPerSecond: number;
  /** The share of requests written to a second replica's log as well. */
  sharedShare: number;
  /** The longest wait for the replicas to catch up at the end. */
  catchUpMs: number;
}

export interface FleetResult {
  seed: number;
  dir: string;
  /** Problems of the run (a replica exiting by itself, not catching up), then the verdict's. Empty: it held. */
  problems: string[];
  verdict: FleetVerdict | undefined;
  counts: Record<string, number>;
  faults: string[];
  replicaWarnings: Record<string, string[]>;
  seconds: number;
}

/** What the schedule does, when (ms since the start), seeded. */
type Fault =
  | { atMs: number; kind: 'kill'; replica: number; downMs: number }
  | { atMs: number; kind: 'rotate'; replica: number; reopenAfterMs: number }
  /** PostgreSQL down for `downMs`, killed `replicaAfterMs` after `replica` was killed and spawned again. */
  | { atMs: number; kind: 'kill_postgres'; downMs: number; replica: number; replicaAfterMs: number };

/** How long after PostgreSQL is back the other kills wait: the replicas' retries (backoff) have gone through. */
const SETTLE_AFTER_OUTAGE_MS = 6_000;

/** Refused lines the writer mixes in, one kind after the other (not_json is made here, unique per line). */
const POISONS: readonly (PoisonKind | 'not_json')[] = [
  'not_json',
  'huge_completion_tokens',
  'start_far_future',
  'max_safe_tokens',
  'start_far_past',
];

/** What the replicas log about PostgreSQL's outage, counted to show that the run went through it. */
const OUTAGE_LOG_LINES: readonly [string, RegExp][] = [
  ['commits_failing', /ledger commits are failing; retrying/],
  ['commits_recovered', /ledger commits succeed again/],
  ['started_while_postgres_down', /cannot open the ledger: PostgreSQL cannot be reached .*trying again/],
];

export async function runFleet(o: FleetRunOptions): Promise<FleetResult> {
  return new FleetRun(o).run();
}

class FleetRun {
  private readonly dir = tempDir('tl-fleet-');
  private readonly book: Book;
  /** What each line is and which replica gets it. */
  private readonly writerPrng: Prng;
  private readonly poisonPrng: Prng;
  private readonly schedule: Fault[];
  private readonly faults: string[] = [];
  private readonly counts: Record<string, number> = {};
  private readonly problems: string[] = [];
  private readonly writtenTo = new Map<string, string[]>();
  private readonly expectedRejects: ExpectedReject[] = [];
  /** Second copies of shared requests, written a little later. */
  private readonly delayed: { atMs: number; replica: number; line: Line }[] = [];
  private replicas: Replica[] = [];
  private pg: RunningPostgres | undefined;
  /** Set from PostgreSQL's kill until the replicas have settled after its restart: other kills wait for it. */
  private outage: Promise<void> | undefined;
  private started = Date.now();
  private writtenByTicks = 0;
  private nextPoisonMs: number;
  private poisonTurn = 0;
  private writing = true;

  constructor(private readonly o: FleetRunOptions) {
    this.book = new Book(new Prng(o.seed));
    this.writerPrng = new Prng(o.seed ^ 0x2545f491);
    this.poisonPrng = new Prng(o.seed ^ 0x68e31da4);
    this.schedule = plan(new Prng(o.seed ^ 0x5bd1e995), o.durationMs);
    this.nextPoisonMs = this.poisonPrng.int(500, 2_500);
  }

  async run(): Promise<FleetResult> {
    let verdict: FleetVerdict | undefined;
    try {
      this.pg = await startPostgres();
      this.replicas = NODES.map(
        (node) => new Replica(this.dir, node, this.pg!.url(), this.book, () => this.faults.length)
      );
      await Promise.all(this.replicas.map((r) => r.start()));
      this.started = Date.now();
      const writer = setInterval(() => this.tick(), 50);
      try {
        await this.injectFaults();
      } finally {
        clearInterval(writer);
      }
      this.writing = false;
      this.tick();
      for (const d of this.delayed.splice(0)) this.write(d.replica, [d.line]);
      for (const r of this.replicas) r.log.finishReopen(true, false);
      await this.checkReplicasAlive();
      const db = new Client(this.pg.adminConfig(PG_DATABASE));
      db.on('error', () => undefined);
      await db.connect();
      try {
        const state = await this.catchUp(db);
        if (state)
          this.problems.push(`the replicas did not catch up (${state}): the verdict below says what is missing`);
        verdict = await fleetVerdict({
          db,
          book: this.book,
          writtenTo: this.writtenTo,
          expectedRejects: this.expectedRejects,
          replicas: this.replicas,
          describeFault: (n) => this.faults[n - 1] ?? '?',
        });
      } finally {
        await db.end();
      }
      for (const r of this.replicas) await r.stop();
      for (const [what, pattern] of OUTAGE_LOG_LINES)
        this.count(
          what,
          this.replicas.reduce((n, r) => n + r.logLines(pattern), 0)
        );
    } catch (e) {
      this.problems.push(`the run failed: ${(e as Error).stack ?? String(e)}`);
    } finally {
      for (const r of this.replicas) await r.kill().catch(() => undefined);
      await this.pg?.stop();
    }
    const problems = [...this.problems, ...(verdict?.problems ?? [])];
    // Kept when something is wrong (the report names the directory), else removed.
    if (!problems.length) rmSync(this.dir, { recursive: true, force: true });
    return {
      seed: this.o.seed,
      dir: this.dir,
      problems,
      verdict,
      counts: { ...this.counts, linesWritten: this.book.linesWritten },
      faults: this.faults,
      replicaWarnings: Object.fromEntries(this.replicas.map((r) => [r.node, r.warnings()])),
      seconds: Math.round((Date.now() - this.started) / 1000),
    };
  }

  private note(text: string): void {
    this.faults.push(`${text} (at ${((Date.now() - this.started) / 1000).toFixed(1)} s)`);
  }

  private count(what: string, by = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + by;
  }

  // ---- the writer -------------------------------------------------------------------------------------

  /** Appends the lines due at the configured rate, each to one replica's log and some to a second one too. */
  private tick(): void {
    const now = Date.now() - this.started;
    const due = Math.floor((Math.min(now, this.o.durationMs) * this.o.linesPerSecond) / 1000) - this.writtenByTicks;
    this.writtenByTicks += Math.max(0, due);
    const lines: Line[][] = this.replicas.map(() => []);
    for (const r of this.replicas) r.log.finishReopen(false, false);
    const p = this.writerPrng;
    for (let i = 0; i < due; i++) {
      const line = this.book.request();
      const first = p.int(0, this.replicas.length - 1);
      lines[first]!.push(line);
      if (!p.chance(this.o.sharedShare)) continue;
      // The same request in a second replica's log: at once, or a little later (that replica may be down then).
      const second = (first + p.int(1, this.replicas.length - 1)) % this.replicas.length;
      const laterMs = p.chance(0.5) ? p.int(100, 3_000) : 0;
      if (laterMs) this.delayed.push({ atMs: now + laterMs, replica: second, line });
      else lines[second]!.push(line);
      this.count(laterMs ? 'shared_later' : 'shared_at_once');
    }
    for (let i = this.delayed.length - 1; i >= 0; i--) {
      const d = this.delayed[i]!;
      if (d.atMs > now) continue;
      lines[d.replica]!.push(d.line);
      this.delayed.splice(i, 1);
    }
    if (this.writing && now >= this.nextPoisonMs) {
      this.nextPoisonMs = now + this.poisonPrng.int(1_000, 3_000);
      const replica = this.poisonPrng.int(0, this.replicas.length - 1);
      const kind = POISONS[this.poisonTurn++ % POISONS.length]!;
      const line: Line =
        kind === 'not_json'
          ? {
              bytes: Buffer.from(`not json: fleet gateway line ${this.poisonTurn} cut short\n`),
              refused: { reason: 'invalid_json', label: `a line that is not JSON (#${this.poisonTurn})` },
            }
          : this.book.poison(kind);
      this.expectedRejects.push(expectedReject(this.replicas[replica]!.node, line));
      lines[replica]!.push(line);
      this.count(`poison_${kind}`);
    }
    lines.forEach((l, i) => this.write(i, l));
  }

  private write(replica: number, lines: Line[]): void {
    const r = this.replicas[replica]!;
    for (const l of lines) {
      if (!l.request) continue;
      const to = this.writtenTo.get(l.request.id);
      if (to) to.push(r.node);
      else this.writtenTo.set(l.request.id, [r.node]);
    }
    r.log.write(lines);
  }

  // ---- faults -----------------------------------------------------------------------------------------

  /** Runs the schedule: each replica's kills and rotations in order, PostgreSQL's outage beside them. */
  private async injectFaults(): Promise<void> {
    const lanes = new Map<string, Fault[]>();
    for (const f of this.schedule) {
      const lane = f.kind === 'kill_postgres' ? 'postgres' : `replica ${f.replica}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), f]);
    }
    let failed = false;
    const ran = await Promise.allSettled([
      ...[...lanes.values()].map(async (faults) => {
        for (const f of faults) {
          await sleep(f.atMs - (Date.now() - this.started));
          // Faults that waited (for a start, or for PostgreSQL's outage to settle) past the writer's end are left
          // out: the run stays as long as it was meant to. After a failure in another lane, all are.
          if (failed || Date.now() - this.started > this.o.durationMs - 1_500) return;
          await this.inject(f).catch((e: Error) => {
            failed = true;
            throw e;
          });
        }
      }),
      sleep(this.o.durationMs),
    ]);
    // Every lane has ended (none starts a replica after the run cleaned up): the first failure is the run's.
    for (const r of ran) if (r.status === 'rejected') throw r.reason;
  }

  private async inject(f: Fault): Promise<void> {
    switch (f.kind) {
      case 'kill': {
        await this.outage;
        await this.checkReplicasAlive();
        await this.killReplica(f.replica, `down for ${f.downMs} ms`);
        await sleep(f.downMs);
        await this.startReplica(f.replica);
        return;
      }
      case 'rotate': {
        const r = this.replicas[f.replica]!;
        // A rotation that waited behind a kill (for PostgreSQL's outage) can come right after the one before it,
        // while the writer is still on the renamed file and there is no gw.log to rename: wait for the reopen.
        await waitFor(
          `${r.node}'s writer to reopen gw.log`,
          () => (r.log.writingToRenamedFile ? undefined : true),
          10_000
        );
        const to = r.log.rotateByRename(f.reopenAfterMs);
        this.note(`rename ${r.node}'s gw.log -> ${to} (writer reopens after ${f.reopenAfterMs} ms)`);
        this.count('rotations');
        return;
      }
      case 'kill_postgres': {
        let settled = () => undefined as void;
        this.outage = new Promise<void>((r) => (settled = r));
        // Under replicas that are all running (a replica takes seconds to start on a busy machine).
        const allRunning = () => (this.replicas.every((r) => r.running) ? true : undefined);
        await waitFor('every replica to run before PostgreSQL is killed', allRunning, 60_000);
        // One replica is started again just before: it reaches PostgreSQL (a second or more after its spawn)
        // while it is down, and waits for it.
        await this.killReplica(f.replica, 'just before PostgreSQL');
        const started = this.startReplica(f.replica);
        await sleep(f.replicaAfterMs);
        await this.pg!.kill();
        this.note(`kill -9 PostgreSQL, down for ${f.downMs} ms`);
        this.count('postgres_kills');
        await sleep(f.downMs);
        await this.pg!.restart();
        this.note('PostgreSQL restarted');
        await started;
        await sleep(SETTLE_AFTER_OUTAGE_MS);
        this.outage = undefined;
        settled();
        return;
      }
    }
  }

  private async killReplica(i: number, why: string): Promise<void> {
    const r = this.replicas[i]!;
    await r.kill();
    this.note(`kill -9 ${r.node} ${why}`);
    this.count('replica_kills');
  }

  private async startReplica(i: number): Promise<void> {
    const from = Date.now();
    await this.replicas[i]!.start();
    this.count('replica_starts');
    this.counts.slowest_start_ms = Math.max(this.counts.slowest_start_ms ?? 0, Date.now() - from);
  }

  /** A replica only stops when told to: one that exited by itself is a problem (and is started again). */
  private async checkReplicasAlive(): Promise<void> {
    for (const r of this.replicas) {
      if (!r.serve || r.running) continue;
      const child = r.serve.child;
      this.problems.push(
        `${r.node} exited by itself (${child.exitCode ?? child.signalCode}) after fault #${this.faults.length}: ${r.serve.log.trim().split('\n').slice(-3).join(' | ')}`
      );
      await r.kill();
      await r.start();
    }
  }

  // ---- the end ----------------------------------------------------------------------------------------

  /**
   * Waits until the ledger holds as many requests and rejects as must be stored and quarantined, and each
   * replica's counters say what it stored; undefined when so, else what was last seen. Gives up after
   * `catchUpMs`, or when nothing changed for 10 s.
   */
  private async catchUp(db: Client): Promise<string | undefined> {
    const mustStore = [...this.book.requests.values()].filter(
      (r) => r.written.length && r.outcome.kind === 'store'
    ).length;
    const deadline = Date.now() + this.o.catchUpMs;
    let last = '';
    let since = Date.now();
    for (;;) {
      await this.checkReplicasAlive();
      const nodes = await db.query<{ node: string; n: string }>('SELECT node, count(*) AS n FROM usage GROUP BY node');
      const stored = new Map(nodes.rows.map((r) => [r.node, Number(r.n)]));
      const total = [...stored.values()].reduce((a, b) => a + b, 0);
      const rejects = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM rejects')).rows[0]!.n);
      const counted = await Promise.all(
        this.replicas.map((r) => r.metricSum('tokenledger_requests_total').catch(() => -1))
      );
      const state = `${total} of ${mustStore} requests stored, ${rejects} of ${this.expectedRejects.length} lines quarantined; per replica stored/counted: ${this.replicas
        .map((r, i) => `${r.node} ${stored.get(r.node) ?? 0}/${counted[i]}`)
        .join(', ')}`;
      const countersAgree = this.replicas.every((r, i) => (stored.get(r.node) ?? 0) === counted[i]);
      if (total === mustStore && rejects === this.expectedRejects.length && countersAgree) return undefined;
      if (state !== last) {
        last = state;
        since = Date.now();
      } else if (Date.now() - since > 10_000) return `nothing changed for 10 s: ${state}`;
      if (Date.now() > deadline) return `after ${this.o.catchUpMs} ms: ${state}`;
      await sleep(500);
    }
  }
}

/**
 * The seeded schedule: every replica killed every few seconds (down for a moment), two replicas' logs
 * rotated by rename, and PostgreSQL killed once for a few seconds under running replicas, one of them just
 * started again so that it starts while the server is away (the other kills wait until the replicas settled).
 */
function plan(p: Prng, durationMs: number): Fault[] {
  const faults: Fault[] = [];
  const end = durationMs - 2_000;
  const pgAtMs = p.int(durationMs * 0.3, durationMs * 0.55);
  const pgDownMs = p.int(2_000, 5_000);
  faults.push({
    atMs: pgAtMs,
    kind: 'kill_postgres',
    downMs: pgDownMs,
    replica: p.int(0, NODES.length - 1),
    replicaAfterMs: p.int(50, 300),
  });
  NODES.forEach((_, replica) => {
    for (let t = p.int(1_500, 5_000); t < end; t += p.int(4_000, 9_000))
      faults.push({ atMs: t, kind: 'kill', replica, downMs: p.int(50, 1_500) });
  });
  for (const replica of [0, 1])
    for (let t = p.int(2_000, 6_000); t < end; t += p.int(5_000, 10_000))
      faults.push({ atMs: t, kind: 'rotate', replica, reopenAfterMs: p.int(0, 1_000) });
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** The result as text for a failing test: seed, counts, faults in order, what the replicas said, the problems. */
export function describeFleet(r: FleetResult): string {
  return `seed ${r.seed} (TOKENLEDGER_FAULTS_SEED=${r.seed} repeats the schedule), ${r.seconds} s, files in ${r.dir}
counts: ${JSON.stringify(r.counts)}
verdict counts: ${JSON.stringify(r.verdict?.counts)}
faults:
${r.faults.map((f, i) => `  #${i + 1} ${f}`).join('\n')}
${Object.entries(r.replicaWarnings)
  .map(([node, lines]) => `${node} said:\n${lines.map((l) => `  ${l}`).join('\n')}`)
  .join('\n')}
${r.problems.join('\n')}`;
}
