import { RECORD_BOUNDS } from '../types';

/** No slot: the end of a list. */
const NONE = -1;
/** Slots a new store has; doubled whenever they are all taken (and kept: a store does not shrink). */
const INITIAL_SLOTS = 1024;
/**
 * Bytes a slot has for its request id, one a character. Gateways' ids fit (UUIDs: 36; OpenAI's chatcmpl-...: 38;
 * LiteLLM's call ids: 36); a longer one, or one with a character past U+00FF, is kept as a string instead.
 */
const ID_BYTES = 64;
/** idLengths of a slot whose id is kept as a string (`otherIds`), and of a free slot. */
const ID_AS_STRING = -1;
const FREE = -2;

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
 * every open reservation outlives many young-generation collections, so whatever of it is on the JavaScript heap
 * is promoted into the old space, which then fills under a steady load and takes a full collection, the longest
 * pauses a decision meets (bench/README.md, "Decisions"). So a reservation is nothing on that heap: its amount
 * (exact pico-USD in a BigInt64Array), expiry and list links are typed arrays, its request id is copied into a
 * byte arena, and ids are found through a hash table of slots (open addressing, linear probing) in an Int32Array.
 * The caller's id string dies young.
 */
export class Reservations {
  /** Per slot: its request id, ID_BYTES bytes from slot × ID_BYTES, its length, and its hash (hashId). */
  private idBytes = new Uint8Array(INITIAL_SLOTS * ID_BYTES);
  private idLengths = new Int32Array(INITIAL_SLOTS).fill(FREE);
  private idHashes = new Int32Array(INITIAL_SLOTS);
  /** The ids that do not fit in bytes, by slot. */
  private readonly otherIds = new Map<number, string>();
  /** Hash table of the open slots by id: slot + 1 at the id's hash (or after it), 0 where empty. Half full at most. */
  private table = new Int32Array(INITIAL_SLOTS * 2);
  private open = 0;
  /** Per slot: its covered budgets (a reference to an array the caller shares, nothing allocated). */
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
    const hash = hashId(requestId);
    const before = this.find(requestId, hash);
    if (before !== NONE) this.removeSlot(before);
    if (!this.freeCount) this.grow();
    const slot = this.freeSlots[--this.freeCount]!;
    this.storeId(slot, requestId, hash);
    this.tableInsert(slot);
    this.open++;
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
    return this.open;
  }

  /** Marks the reservations of these committed request ids settled at commit number `sequence` (1 or more). */
  settle(requestIds: Iterable<string>, sequence: number): void {
    if (!this.open) return;
    for (const id of requestIds) {
      const slot = this.find(id, hashId(id));
      if (slot === NONE || this.settledAt[slot]) continue;
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

  private removeSlot(slot: number): void {
    this.tableDelete(slot);
    if (this.idLengths[slot] === ID_AS_STRING) this.otherIds.delete(slot);
    this.idLengths[slot] = FREE;
    this.open--;
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
    this.budgets[slot] = undefined;
    this.freeSlots[this.freeCount++] = slot;
  }

  /** Keeps `id` as slot's: its bytes when it has ID_BYTES characters at most, all of them up to U+00FF. */
  private storeId(slot: number, id: string, hash: number): void {
    this.idHashes[slot] = hash;
    if (id.length <= ID_BYTES) {
      const at = slot * ID_BYTES;
      let i = 0;
      for (; i < id.length; i++) {
        const c = id.charCodeAt(i);
        if (c > 0xff) break;
        this.idBytes[at + i] = c;
      }
      if (i === id.length) {
        this.idLengths[slot] = id.length;
        return;
      }
    }
    this.idLengths[slot] = ID_AS_STRING;
    this.otherIds.set(slot, id);
  }

  private idIs(slot: number, id: string): boolean {
    const length = this.idLengths[slot]!;
    if (length === ID_AS_STRING) return this.otherIds.get(slot) === id;
    if (length !== id.length) return false;
    const at = slot * ID_BYTES;
    for (let i = 0; i < length; i++) if (this.idBytes[at + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  /** The open slot of `id` (whose hash is `hash`), NONE when there is none. */
  private find(id: string, hash: number): number {
    const mask = this.table.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = this.table[i]!;
      if (entry === 0) return NONE;
      const slot = entry - 1;
      if (this.idHashes[slot] === hash && this.idIs(slot, id)) return slot;
    }
  }

  private tableInsert(slot: number): void {
    const mask = this.table.length - 1;
    let i = this.idHashes[slot]! & mask;
    while (this.table[i] !== 0) i = (i + 1) & mask;
    this.table[i] = slot + 1;
  }

  /**
   * Takes `slot` out of the table, moving back the entries after it that probing would no longer reach (Knuth's
   * deletion for linear probing: no tombstones, so lookups never slow down with churn).
   */
  private tableDelete(slot: number): void {
    const mask = this.table.length - 1;
    let hole = this.idHashes[slot]! & mask;
    while (this.table[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; this.table[j] !== 0; j = (j + 1) & mask) {
      const home = this.idHashes[this.table[j]! - 1]! & mask;
      // The entry at j stays when its home lies cyclically in (hole, j]: probing from there still reaches it.
      const reachable = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (reachable) continue;
      this.table[hole] = this.table[j]!;
      hole = j;
    }
    this.table[hole] = 0;
  }

  /** Doubles the slots; the new ones are free. */
  private grow(): void {
    const had = this.amounts.length;
    const size = had * 2;
    this.amounts = grown(this.amounts, new BigInt64Array(size));
    this.expiresMs = grown(this.expiresMs, new Float64Array(size));
    this.settledAt = grown(this.settledAt, new Float64Array(size));
    this.idBytes = grown(this.idBytes, new Uint8Array(size * ID_BYTES));
    this.idLengths = grown(this.idLengths, new Int32Array(size).fill(FREE));
    this.idHashes = grown(this.idHashes, new Int32Array(size));
    this.table = new Int32Array(size * 2);
    for (let slot = 0; slot < had; slot++) if (this.idLengths[slot] !== FREE) this.tableInsert(slot);
    this.made.grow(size);
    this.settled.grow(size);
    this.freeSlots = new Int32Array(size);
    for (let slot = size - 1; slot >= had; slot--) this.freeSlots[this.freeCount++] = slot;
  }
}

/** FNV-1a over a request id's UTF-16 code units, as a signed 32-bit integer. */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 0; // the empty id's too, as idHashes (an Int32Array) gives it back
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
