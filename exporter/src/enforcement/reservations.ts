/**
 * Estimated costs of allowed requests that their usage records have not paid yet, per budget, in memory.
 *
 * A reservation counts against its budgets until (a) the ledger's spend includes its usage record: the
 * pipeline reports the request id as committed (`settle`), and a budget refresh that started after that commit
 * finishes (`dropSettled`) — dropping it at the commit already would leave a moment where neither the
 * reservation nor the spend counts; or (b) its TTL runs out (`expire`): the record never came, or came to
 * another replica. Sums per budget are kept as reservations come and go, so a decision reads them in O(1).
 */
interface Reservation {
  amountPusd: bigint;
  budgets: readonly string[];
  expiresMs: number;
  /** The commit sequence number at which its usage record was committed, once it was. */
  settledAt: number | undefined;
}

export class Reservations {
  private readonly byRequest = new Map<string, Reservation>();
  private readonly sums = new Map<string, bigint>();
  private readonly counts = new Map<string, number>();
  /** Settled request ids in commit order, for dropSettled to take from the front. */
  private settled: { requestId: string; sequence: number }[] = [];

  /** Reserves `amountPusd` on each budget for `requestId`; a second check of the same request id replaces the first. */
  reserve(requestId: string, amountPusd: bigint, budgets: readonly string[], expiresMs: number): void {
    this.remove(requestId);
    this.byRequest.set(requestId, { amountPusd, budgets, expiresMs, settledAt: undefined });
    for (const b of budgets) {
      this.sums.set(b, (this.sums.get(b) ?? 0n) + amountPusd);
      this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    }
  }

  /** What the open reservations on a budget add up to. */
  reservedPusd(budget: string): bigint {
    return this.sums.get(budget) ?? 0n;
  }

  /** Open reservations on a budget. */
  openCount(budget: string): number {
    return this.counts.get(budget) ?? 0;
  }

  get size(): number {
    return this.byRequest.size;
  }

  /** Marks the reservations of these committed request ids settled at commit number `sequence`. */
  settle(requestIds: Iterable<string>, sequence: number): void {
    if (!this.byRequest.size) return;
    for (const id of requestIds) {
      const r = this.byRequest.get(id);
      if (r && r.settledAt === undefined) {
        r.settledAt = sequence;
        this.settled.push({ requestId: id, sequence });
      }
    }
  }

  /** Drops the reservations settled at or before commit `sequence`: the spend just read includes them. */
  dropSettled(sequence: number): void {
    let i = 0;
    for (; i < this.settled.length && this.settled[i]!.sequence <= sequence; i++) {
      const { requestId, sequence: at } = this.settled[i]!;
      // Only if it is still that reservation (not one made again for the same id since).
      if (this.byRequest.get(requestId)?.settledAt === at) this.remove(requestId);
    }
    if (i) this.settled = this.settled.slice(i);
  }

  /**
   * Drops reservations whose TTL ran out, at most `limit` of them; returns how many. Reservations are kept in the
   * order made, so with one TTL the oldest expire first and the scan stops at the first one still open (after a
   * reload shortens the TTL, newer ones may wait for older ones: they expire late, never early).
   */
  expire(nowMs: number, limit = Infinity): number {
    let n = 0;
    for (const [id, r] of this.byRequest) {
      if (r.expiresMs > nowMs || n >= limit) break;
      this.remove(id);
      n++;
    }
    return n;
  }

  private remove(requestId: string): void {
    const r = this.byRequest.get(requestId);
    if (!r) return;
    this.byRequest.delete(requestId);
    for (const b of r.budgets) {
      const sum = this.sums.get(b)! - r.amountPusd;
      const count = this.counts.get(b)! - 1;
      if (count === 0) {
        this.sums.delete(b);
        this.counts.delete(b);
      } else {
        this.sums.set(b, sum);
        this.counts.set(b, count);
      }
    }
  }
}
