import { RECORD_BOUNDS } from '../types';

/** No slot: the end of a list. */
const NONE = -1;
/** Slots a new store has; doubled whenever they are all taken (and kept: a store does not shrink). */
const INITIAL_SLOTS = 1024;

/**
 * Estimated costs of allowed requests that their usage records have not paid yet, per budget, in memory.
 *
 * A reservation counts against its budgets until (a) the ledger's spend includes its usage record: the
 * pipeline reports the request id as committed (`settle`), and a budget refresh that started after that commit
 * finishes (`dropSettled`) — dropping it at the commit already would leave a moment where neither the
 * reservation nor the spend counts; or (b) its TTL runs out (`expire`): the record never came, or came to
 * another replica. Sums per budget are kept as reservations come and go, so a decision reads them in O(1).
 *
 * Stored as a struct of arrays indexed by slot (typed arrays, free slots reused), not an object a reservation:
 * every open reservation outlives many young-generation collections, so each one's object was promoted into the
 * old space, which then filled every few seconds under a steady load and took a full collection
 * (bench/README.md, "Decisions"). A reservation now leaves only its request id (a string the caller made) and a
 * map entry on the heap; its amount (exact pico-USD in a BigInt64Array), expiry and list links are off it.
 */
export class Reservations {
  /** Request id → slot. */
  private readonly slotOf = new Map<string, number>();
  /** Per slot: its request id and covered budgets (references to strings and a shared array, nothing allocated). */
  private ids: (string | undefined)[] = [];
  private budgets: (readonly string[] | undefined)[] = [];
  /** Per slot: the reserved amount, pico-USD (at most RECORD_BOUNDS.maxPusd, so exact in 64 bits). */
  private amounts = new BigInt64Array(INITIAL_SLOTS);
  private expiresMs = new Float64Array(INITIAL_SLOTS);
  /** Per slot: the commit sequence number at which its usage record was committed; 0 while it was not. */
  private settledAt = new Float64Array(INITIAL_SLOTS);
  /** Open reservations in the order made, the oldest first. */
  private readonly made = new SlotList(INITIAL_SLOTS);
  /** Settled reservations in commit order, for dropSettled to take from the front. */
  private readonly settled = new SlotList(INITIAL_SLOTS);
  /** Free slots, a stack: `freeSlots[0 .. freeCount)`. */
  private freeSlots = new Int32Array(INITIAL_SLOTS).map((_, i) => INITIAL_SLOTS - 1 - i);
  private freeCount = INITIAL_SLOTS;
  private readonly sums = new Map<string, bigint>();
  private readonly counts = new Map<string, number>();

  /** Reserves `amountPusd` on each budget for `requestId`; a second check of the same request id replaces the first. */
  reserve(requestId: string, amountPusd: bigint, budgets: readonly string[], expiresMs: number): void {
    if (amountPusd < 0n || amountPusd > RECORD_BOUNDS.maxPusd)
      throw new RangeError(`a reservation of ${amountPusd} pico-USD is outside 0 .. ${RECORD_BOUNDS.maxPusd}`);
    this.remove(requestId);
    if (!this.freeCount) this.grow();
    const slot = this.freeSlots[--this.freeCount]!;
    this.slotOf.set(requestId, slot);
    this.ids[slot] = requestId;
    this.budgets[slot] = budgets;
    this.amounts[slot] = amountPusd;
    this.expiresMs[slot] = expiresMs;
    this.settledAt[slot] = 0;
    this.made.append(slot);
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
    return this.slotOf.size;
  }

  /** Marks the reservations of these committed request ids settled at commit number `sequence` (1 or more). */
  settle(requestIds: Iterable<string>, sequence: number): void {
    if (!this.slotOf.size) return;
    for (const id of requestIds) {
      const slot = this.slotOf.get(id);
      if (slot === undefined || this.settledAt[slot]) continue;
      this.settledAt[slot] = sequence;
      this.settled.append(slot);
    }
  }

  /**
   * Drops the reservations settled at or before commit `sequence`: the spend just read includes them. (A request
   * id checked again after its record was committed has a new reservation, not settled: it stays.)
   */
  dropSettled(sequence: number): void {
    while (this.settled.first !== NONE && this.settledAt[this.settled.first]! <= sequence)
      this.removeSlot(this.settled.first);
  }

  /**
   * Drops reservations whose TTL ran out, at most `limit` of them; returns how many. Reservations are kept in the
   * order made, so with one TTL the oldest expire first and the scan stops at the first one still open (after a
   * reload shortens the TTL, newer ones may wait for older ones: they expire late, never early).
   */
  expire(nowMs: number, limit = Infinity): number {
    let n = 0;
    while (this.made.first !== NONE && n < limit && this.expiresMs[this.made.first]! <= nowMs) {
      this.removeSlot(this.made.first);
      n++;
    }
    return n;
  }

  private remove(requestId: string): void {
    const slot = this.slotOf.get(requestId);
    if (slot !== undefined) this.removeSlot(slot);
  }

  private removeSlot(slot: number): void {
    this.slotOf.delete(this.ids[slot]!);
    const amountPusd = this.amounts[slot]!;
    for (const b of this.budgets[slot]!) {
      const count = this.counts.get(b)! - 1;
      if (count === 0) {
        this.sums.delete(b);
        this.counts.delete(b);
      } else {
        this.sums.set(b, this.sums.get(b)! - amountPusd);
        this.counts.set(b, count);
      }
    }
    this.made.unlink(slot);
    if (this.settledAt[slot]) this.settled.unlink(slot);
    this.ids[slot] = undefined;
    this.budgets[slot] = undefined;
    this.freeSlots[this.freeCount++] = slot;
  }

  /** Doubles the slots; the new ones are free. */
  private grow(): void {
    const had = this.amounts.length;
    const size = had * 2;
    this.amounts = grown(this.amounts, new BigInt64Array(size));
    this.expiresMs = grown(this.expiresMs, new Float64Array(size));
    this.settledAt = grown(this.settledAt, new Float64Array(size));
    this.made.grow(size);
    this.settled.grow(size);
    this.freeSlots = new Int32Array(size);
    for (let slot = size - 1; slot >= had; slot--) this.freeSlots[this.freeCount++] = slot;
  }
}

/** `into` with `from` copied to its start. */
function grown<A extends { set(from: A): void }>(from: A, into: A): A {
  into.set(from);
  return into;
}

/** A doubly linked list of slots, in typed arrays indexed by slot: append at the end, unlink anywhere, in O(1). */
class SlotList {
  private head = NONE;
  private last = NONE;
  private prev: Int32Array;
  private next: Int32Array;

  constructor(slots: number) {
    this.prev = new Int32Array(slots);
    this.next = new Int32Array(slots);
  }

  /** The first slot, NONE when the list is empty. */
  get first(): number {
    return this.head;
  }

  append(slot: number): void {
    this.prev[slot] = this.last;
    this.next[slot] = NONE;
    if (this.last === NONE) this.head = slot;
    else this.next[this.last] = slot;
    this.last = slot;
  }

  unlink(slot: number): void {
    const before = this.prev[slot]!;
    const after = this.next[slot]!;
    if (before === NONE) this.head = after;
    else this.next[before] = after;
    if (after === NONE) this.last = before;
    else this.prev[after] = before;
  }

  grow(slots: number): void {
    this.prev = grown(this.prev, new Int32Array(slots));
    this.next = grown(this.next, new Int32Array(slots));
  }
}
