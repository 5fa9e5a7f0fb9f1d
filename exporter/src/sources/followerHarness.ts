import type { ReadPosition } from '../ledger/ledger';
import { FileFollower, FollowerOptions } from './fileFollower';
import type { FollowerEvent } from './followerEvents';
import type { SourceRead } from './types';

/**
 * A follower driven by hand, for tests: what it hands over is collected, the positions it would commit are
 * kept as the ledger keeps them (the last one per file), time is a clock the test moves, and a restart
 * builds a new follower from the committed positions, as `serve` does.
 */
export class FollowerHarness {
  follower!: FileFollower;
  /** Texts handed over, in order: the JSON text, or `TOO_LONG@<file offset>`. */
  readonly texts: string[] = [];
  readonly events: FollowerEvent[] = [];
  private readonly positions = new Map<string, ReadPosition>();
  nowMs = 1_000_000;

  constructor(private readonly options: Omit<FollowerOptions, 'events' | 'clock' | 'source'>) {}

  async start(): Promise<this> {
    this.follower = new FileFollower({ ...this.options, source: 'test', events: (e) => this.events.push(e), clock: () => this.nowMs });
    await this.follower.init([...this.positions.values()]);
    return this;
  }

  private readonly handle = async (read: SourceRead): Promise<void> => {
    for (const t of read.texts) this.texts.push(t.tooLong ? `TOO_LONG@${t.startOffset}` : t.text);
    if (read.position) this.positions.set(read.position.fileKey, read.position);
  };

  /** Polls until nothing more is read. */
  async poll(): Promise<void> {
    while (await this.follower.poll(this.handle));
  }

  /** Polls, then moves the clock past the rotate wait and polls again: rotated files are read and finished. */
  async settle(): Promise<void> {
    await this.poll();
    this.nowMs += this.options.rotateWaitMs + 1;
    await this.poll();
  }

  /** Stops as after kill -9: what was handed over is committed, nothing else is done. */
  async stop(): Promise<void> {
    await this.follower.close();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  eventNames(): string[] {
    return this.events.map((e) => e.event);
  }

  get savedPositions(): ReadPosition[] {
    return [...this.positions.values()];
  }
}
