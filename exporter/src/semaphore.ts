/** Thrown by `Semaphore.acquire` when its wait queue is full. */
export class QueueFullError extends Error {}

/**
 * At most `limit` holders at a time; others wait in FIFO order, at most `maxQueued` of them (beyond that
 * `acquire` refuses at once, so an overload is answered instead of piling up).
 */
export class Semaphore {
  private holders = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    private readonly maxQueued = Infinity
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects with QueueFullError when the queue is full. */
  async acquire(): Promise<() => void> {
    if (this.holders < this.limit) this.holders++;
    else if (this.waiting.length >= this.maxQueued)
      throw new QueueFullError(`${this.holders} running and ${this.waiting.length} waiting`);
    else await new Promise<void>((r) => this.waiting.push(r)); // the releaser hands its slot over
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.holders--;
    };
  }

  /** Runs `work` holding a slot. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}
