import { Book, Line, POISON_KINDS, PoisonKind } from './book';
import type { LogFamily } from './logFamily';
import { Prng } from './prng';
import { RunResult, ServedLogs, sleep } from './servedLogs';

/**
 * The fault-injection run shared by the CI suite (test/faults.test.ts) and the soak (bench/soak.ts): a steady
 * writer appends LiteLLM lines to three logs while faults hit `tokenledger serve` (the built CLI, a child
 * process) and the files; the verdict is then read from the ledger after a graceful stop.
 *
 * The logs: `a.log*` (a glob: renamed files stay followed; inode reuse), `b.log` (exact path; copytruncate,
 * the copies not followed) and `c.log` (exact path; rotation by rename, the renamed file found beside it).
 * No fault loses a line legitimately: a file is truncated or deleted only once `serve` has caught up.
 */

export const FAULT_KINDS = [
  'kill',
  'kill_then_copytruncate',
  'kill_then_rename',
  'kill_during_partial_line',
  'rename',
  'copytruncate',
  'truncate',
  'partial_line',
  'overlong_line',
  'inode_reuse',
  'poison',
  'replay',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const KILL_KINDS: readonly FaultKind[] = [
  'kill',
  'kill_then_copytruncate',
  'kill_then_rename',
  'kill_during_partial_line',
];

/** How often each kind is picked after every kind has run once. */
const WEIGHTS: Record<FaultKind, number> = {
  kill: 5,
  kill_then_copytruncate: 2,
  kill_then_rename: 2,
  kill_during_partial_line: 1,
  rename: 2,
  copytruncate: 2,
  truncate: 1,
  partial_line: 2,
  overlong_line: 1,
  inode_reuse: 1,
  poison: 3,
  replay: 2,
};

export interface FaultRunOptions {
  seed: number;
  /** How long faults are injected; the final catch-up and the verdict come after. */
  durationMs: number;
  linesPerSecond: number;
  /** Mean pause between two faults. */
  faultEveryMs: number;
  /**
   * A kill -9 (of one of the kill kinds) per this much time at least: when the kills fall behind, the next
   * fault is one, and the run goes on past `durationMs` until there are durationMs / killEveryMs of them.
   */
  killEveryMs?: number;
  /** The kinds of fault to inject (default: all). */
  kinds?: readonly FaultKind[];
  /** Over 3 MB by default, so the 3 MB string poison is judged by its value, not its length. */
  maxLineBytes?: number;
  dir?: string;
  /** Progress lines (the soak prints them). */
  log?: (line: string) => void;
}

export async function runFaults(o: FaultRunOptions): Promise<RunResult> {
  return new FaultRun(o).run();
}

class FaultRun {
  private readonly s: ServedLogs;
  /**
   * The faults' own generator, apart from the writer's (which runs on a timer): a seed then replays the same
   * faults with the same parameters, though their interleaving with the writer and serve still varies.
   */
  private readonly prng: Prng;
  private readonly book: Book;
  private readonly kinds: readonly FaultKind[];
  private poisonTurn = 0;
  private everyPoisonWritten = false;
  private writtenByTicks = 0;
  /** Set while the run waits for serve to catch up before a truncation or a deletion: the writer holds its lines. */
  private paused = false;

  constructor(private readonly o: FaultRunOptions) {
    this.s = new ServedLogs({
      seed: o.seed,
      logs: { a: 'a.log*', b: 'b.log', c: 'c.log' },
      maxLineBytes: o.maxLineBytes,
      dir: o.dir,
    });
    this.prng = new Prng(o.seed ^ 0x5bd1e995);
    this.book = this.s.book;
    this.kinds = o.kinds ?? FAULT_KINDS;
  }

  async run(): Promise<RunResult> {
    const s = this.s;
    this.o.log?.(`fault run: seed ${this.o.seed} (TOKENLEDGER_FAULTS_SEED to repeat it), files and ledger in ${s.dir}`);
    await s.startServe();
    const writer = setInterval(() => this.tick(), 50);
    let lastProgress = Date.now();
    try {
      const plan = this.prng.shuffle(this.kinds);
      const canKill = this.kinds.some((k) => KILL_KINDS.includes(k));
      const killsDue = (ms: number) => (canKill && this.o.killEveryMs ? Math.floor(ms / this.o.killEveryMs) : 0);
      const kills = () => s.counts.kill9 ?? 0;
      while (Date.now() - s.started < this.o.durationMs || plan.length || kills() < killsDue(this.o.durationMs)) {
        await sleep(this.prng.int(this.o.faultEveryMs / 2, (this.o.faultEveryMs * 3) / 2));
        await s.checkServeAlive();
        const behind = kills() < killsDue(Date.now() - s.started);
        const kind = plan.shift() ?? this.weightedKind(behind ? KILL_KINDS : this.kinds);
        s.count(`fault_${kind}`);
        await this.fault(kind, plan);
        if (this.o.log && Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now();
          this.o.log(
            `  ${Math.round((Date.now() - s.started) / 1000)} s: ${s.faults.length} faults, ${this.book.linesWritten} lines written, ${s.counts.kill9 ?? 0} kills`
          );
        }
      }
    } finally {
      clearInterval(writer);
    }
    return s.finish(Math.max(60_000, this.o.durationMs / 4));
  }

  // ---- the writer -------------------------------------------------------------------------------------

  /** Appends the lines due at the configured rate, spread over the logs not being written in pieces. */
  private tick(): void {
    if (this.paused) return;
    const due = Math.floor(((Date.now() - this.s.started) * this.o.linesPerSecond) / 1000) - this.writtenByTicks;
    if (due <= 0) return;
    this.writeRequests(due);
    this.writtenByTicks += due;
  }

  private writeRequests(n: number): void {
    const free = Object.values(this.s.logs).filter((f) => !f.busy);
    if (!free.length) return;
    for (const f of free) {
      const inode = f.finishReopen(false, this.s.prng.chance(0.3), () => this.book.request());
      if (inode !== undefined) this.s.count('new_files');
    }
    const share = free.map(() => [] as Line[]);
    for (let i = 0; i < n; i++) share[this.s.prng.int(0, free.length - 1)]!.push(this.book.request());
    free.forEach((f, i) => f.write(share[i]!));
  }

  // ---- faults -----------------------------------------------------------------------------------------

  private weightedKind(among: readonly FaultKind[]): FaultKind {
    const from = among.filter((k) => this.kinds.includes(k));
    if (!from.length) return this.weightedKind(this.kinds);
    const total = from.reduce((sum, k) => sum + WEIGHTS[k], 0);
    let x = this.prng.next() * total;
    for (const k of from) if ((x -= WEIGHTS[k]) < 0) return k;
    return from[0]!;
  }

  /** Injects one fault; one that cannot be done yet puts itself back on the `plan`. */
  private async fault(kind: FaultKind, plan: FaultKind[]): Promise<void> {
    const { a, b, c } = this.s.logs as Record<'a' | 'b' | 'c', LogFamily>;
    const any = () => this.prng.pick([a, b, c].filter((f) => !f.busy));
    // A line in pieces goes to a log whose writer has reopened: a renamed file that stops growing mid-line for
    // longer than rotate_wait_ms is finished with that half line as its last, as documented (b is never renamed).
    const steady = () => this.prng.pick([a, b, c].filter((f) => !f.busy && !f.writingToRenamedFile));
    switch (kind) {
      case 'kill':
      case 'kill_then_copytruncate':
      case 'kill_then_rename': {
        if (kind === 'kill_then_rename' && c.writingToRenamedFile) {
          plan.push(kind); // c.log is not there to rename until its writer reopens: later
          return;
        }
        const burst = this.prng.int(100, 1500);
        this.writeRequests(burst);
        const delay = this.prng.int(0, 300);
        await sleep(delay); // somewhere in the commits of the burst
        await this.s.kill(`kill -9 ${delay} ms after a burst of ${burst} lines`);
        if (kind === 'kill_then_copytruncate') {
          await sleep(this.prng.int(0, 200));
          this.s.note(`copytruncate ${b.copytruncate()} <- b.log while serve is down`);
          this.s.count('copytruncates_while_down');
        } else if (kind === 'kill_then_rename') {
          const reopen = this.prng.int(500, 3000);
          this.s.note(
            `rename c.log -> ${c.rotateByRename(reopen)} while serve is down (writer reopens after ${reopen} ms)`
          );
          this.s.count('renames_while_down');
        }
        await sleep(this.prng.int(50, 1200));
        await this.s.startServe();
        if (kind === 'kill_then_rename' && this.prng.chance(0.6)) {
          // Killed again while the renamed file, found beside c.log at the restart, is still written to.
          await sleep(this.prng.int(100, 600));
          await this.s.kill('kill -9 again while the renamed c file is still written to');
          await sleep(this.prng.int(100, 500));
          await this.s.startServe();
        }
        return;
      }
      case 'kill_during_partial_line': {
        const f = steady();
        const line = this.book.request();
        await f.writeInPieces(line, [this.prng.int(1, line.bytes.length - 1)], async () => {
          await sleep(this.prng.int(0, 200));
          await this.s.kill(`kill -9 while ${f.name}.log ends in half a line`);
          this.s.count('partial_lines');
          await sleep(this.prng.int(50, 500));
        });
        await this.s.startServe();
        return;
      }
      case 'rename': {
        const renamable = [a, c].filter((f) => !f.writingToRenamedFile);
        if (!renamable.length) {
          plan.push(kind); // neither a.log nor c.log is there to rename until its writer reopens: later
          return;
        }
        const f = this.prng.pick(renamable);
        const reopen = this.prng.int(0, 1500);
        this.s.note(`rename ${f.name}.log -> ${f.rotateByRename(reopen)} (writer reopens after ${reopen} ms)`);
        this.s.count('renames');
        return;
      }
      case 'copytruncate':
        this.s.note(`copytruncate ${b.copytruncate()} <- b.log`);
        this.s.count('copytruncates');
        return;
      case 'truncate': {
        const f = steady();
        this.paused = true;
        try {
          const state = await this.s.catchUp(8_000);
          if (state === 'still reading') {
            // Not now (serve has unread lines, maybe in this file): later. Three times at most once one truncation
            // has happened; ten while none has, since the run claims one (a loaded machine catches up slowly).
            const tries = this.s.counts.truncations ? 3 : 10;
            if ((this.s.counts.truncations_skipped ?? 0) < tries) plan.push('truncate');
            this.s.count('truncations_skipped');
            return;
          }
          f.truncate();
          this.s.note(`truncate ${f.name}.log to 0 (serve ${state})`);
          this.s.count('truncations');
        } finally {
          this.paused = false;
        }
        return;
      }
      case 'partial_line': {
        const f = steady();
        const poison = this.kinds.includes('poison') && this.prng.chance(0.2) ? this.nextPoison() : undefined;
        const line = poison ? this.book.poison(poison) : this.book.request();
        const pause = this.prng.int(20, 600);
        this.s.note(`half a line in ${f.name}.log, the rest ${pause} ms later`);
        await f.writeInPieces(line, [this.prng.int(1, line.bytes.length - 1)], () => sleep(pause));
        if (poison) f.write(this.closing(poison));
        this.s.count('partial_lines');
        return;
      }
      case 'overlong_line': {
        const f = steady();
        const max = this.s.maxLineBytes;
        const line = this.book.overlong(max);
        // Mostly the first piece alone is over the limit (the newline comes in a later read), sometimes not.
        const first = this.prng.chance(0.7) ? this.prng.int(max + 1, line.bytes.length - 2) : this.prng.int(1, max - 1);
        const cuts = this.prng.chance(0.5) ? [first] : [first, this.prng.int(first + 1, line.bytes.length - 1)];
        this.s.note(
          `a ${line.bytes.length}-byte line (max_line_bytes ${max}) in ${f.name}.log, written in pieces ending at ${cuts.join(', ')}`
        );
        await f.writeInPieces(line, cuts, () => sleep(this.prng.int(50, 400)));
        this.s.count('overlong_lines');
        return;
      }
      case 'inode_reuse': {
        // Delete a renamed file, let serve finish it (gone, drained), then create a.log: it gets the freed inode.
        a.finishReopen(true, false);
        if (!a.rotated.length) {
          this.s.note(`rename a.log -> ${a.rotateByRename(0)}, to have a file to delete`);
          a.finishReopen(true, false);
          this.s.count('renames');
        }
        this.paused = true;
        try {
          const state = await this.s.catchUp(8_000);
          if (state === 'still reading') {
            this.s.count('inode_reuses_skipped');
            return;
          }
          const gone = a.deleteRotated(Date.now())!;
          this.s.note(`delete ${gone.path} (serve ${state})`);
          const to = a.rotateByRename(600_000);
          const reused =
            (await this.s.closedByServe(gone.path, 5_000)) && (await a.startNewFileOnInode(gone.ino, 3_000));
          this.s.note(
            `rename a.log -> ${to}, new a.log${reused ? " on the deleted file's inode" : " (the deleted file's inode was not closed by serve or not free again within 3 s)"}`
          );
          this.s.count(reused ? 'inode_reuses' : 'inode_reuses_missed');
        } finally {
          this.paused = false;
        }
        return;
      }
      case 'poison': {
        // The first time, one of each kind (a partial line may have carried one already: not counted here);
        // then one at a time.
        const kinds = this.everyPoisonWritten ? [this.nextPoison()] : POISON_KINDS;
        this.everyPoisonWritten = true;
        for (const kind of kinds) {
          const f = any();
          this.s.note(`poison ${kind} in ${f.name}.log`);
          f.write([this.book.poison(kind), ...this.closing(kind)]);
          this.s.count(`poison_${kind}`);
        }
        return;
      }
      case 'replay': {
        const f = any();
        const replays: Line[] = [];
        for (let i = this.prng.int(1, 100); i > 0; i--) {
          const r = this.book.storedRequestToReplay();
          if (r) replays.push(this.book.replayOf(r));
        }
        this.s.note(`replay of ${replays.length} lines already written, into ${f.name}.log`);
        f.write(replays);
        this.s.count('replayed_lines', replays.length);
        return;
      }
    }
  }

  private nextPoison(): PoisonKind {
    return POISON_KINDS[this.poisonTurn++ % POISON_KINDS.length]!;
  }

  /**
   * What must follow a poison line at once: a lone `{` may legitimately be held while the rest of a
   * pretty-printed object can still come, so the next line (a record of its own) is written with it.
   */
  private closing(kind: PoisonKind): Line[] {
    return kind === 'lone_brace' ? [this.book.request()] : [];
  }
}
