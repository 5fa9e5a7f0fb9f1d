import type { ReadPosition } from '../src/ledger/ledger';
import { FileFollower, FollowerOptions } from '../src/sources/fileFollower';
import type { FollowerEvent } from '../src/sources/followerEvents';
import type { SourceRead } from '../src/sources/types';

/**
 * A follower driven by hand, for tests: what it hands over is collected, the positions it would commit are
 * kept as the ledger keeps them (the last one per file), time is a clock the test moves, and a restart
 * builds a new follower from the committed positions, as `serve` does.
 */
export class FollowerHarness {
  follower!: FileFollower;
  readonly events: FollowerEvent[] = [];
  /** What was handed over, read by read, as a ledger would have committed it (texts with their position). */
  private journal: { texts: string[]; position: ReadPosition | undefined }[] = [];
  /** Reads handed over before this index are committed for good: a crash can only lose those after it. */
  private durable = 0;
  nowMs = 1_000_000;
  /** Set by `pollUntilKilled`: reads still handed over before the process is killed. */
  private readsBeforeKill: number | undefined;
  /** Reads handed over before the end of the last poll: `serve` commits what a poll handed over when it ends. */
  private polled = 0;

  constructor(private readonly options: Omit<FollowerOptions, 'events' | 'clock' | 'source'>) {}

  async start(): Promise<this> {
    this.follower = new FileFollower({
      ...this.options,
      source: 'test',
      events: (e) => this.events.push(e),
      clock: () => this.nowMs,
    });
    this.markDurable();
    this.polled = this.journal.length;
    await this.follower.init(this.savedPositions);
    return this;
  }

  private readonly handle = async (read: SourceRead): Promise<void> => {
    if (this.readsBeforeKill !== undefined && this.readsBeforeKill-- <= 0) throw new KilledInPoll();
    this.journal.push({
      texts: read.texts.map((t) => (t.tooLong ? `TOO_LONG@${t.startOffset}` : t.text)),
      position: read.position,
    });
  };

  /** Texts handed over and committed, in order: the JSON text, or `TOO_LONG@<file offset>`. */
  get texts(): string[] {
    return this.journal.flatMap((r) => r.texts);
  }

  /** Polls until nothing more is read. */
  async poll(): Promise<void> {
    for (;;) {
      const readAny = await this.follower.poll(this.handle);
      this.polled = this.journal.length;
      if (!readAny) return;
    }
  }

  /** Polls, then moves the clock past the rotate wait and polls again: rotated files are read and finished. */
  async settle(): Promise<void> {
    await this.poll();
    this.nowMs += this.options.rotateWaitMs + 1;
    await this.poll();
  }

  /** Everything handed over so far has been committed (the files change only after a commit has landed). */
  markDurable(): void {
    this.durable = this.journal.length;
  }

  /** Stops as after kill -9: the last `uncommitted` reads handed over since the last commit never reached the ledger. */
  async stop(uncommitted = 0): Promise<void> {
    await this.follower.close();
    this.journal = this.journal.slice(0, Math.max(this.durable, this.journal.length - uncommitted));
  }

  /**
   * Polls, and is killed (kill -9) once `reads` reads have been handed over, in the middle of a poll: as
   * `serve` is when it cannot get through a backlog between two kills. What the polls that ended handed over
   * is committed (`serve` commits after each poll), what the poll cut short handed over is not (as when its
   * commit waits for a batch to fill). Stopped either way; returns whether the kill came before the polls ran
   * out of things to read.
   */
  async pollUntilKilled(reads: number): Promise<boolean> {
    this.readsBeforeKill = reads;
    let killed = false;
    try {
      await this.poll();
    } catch (e) {
      if (!(e instanceof KilledInPoll)) throw e;
      killed = true;
    } finally {
      this.readsBeforeKill = undefined;
    }
    this.journal = this.journal.slice(0, this.polled);
    this.markDurable();
    await this.stop();
    return killed;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  eventNames(): string[] {
    return this.events.map((e) => e.event);
  }

  /** The committed position of each file: the last one handed over with it. */
  get savedPositions(): ReadPosition[] {
    const last = new Map<string, ReadPosition>();
    for (const r of this.journal) if (r.position) last.set(r.position.fileKey, r.position);
    return [...last.values()];
  }
}

class KilledInPoll extends Error {
  constructor() {
    super('killed in the middle of a poll');
  }
}
