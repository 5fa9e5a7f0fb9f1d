import { RECORD_BOUNDS } from '../types';
import { NO_SLOT, SlotIndex } from './slotIndex';

/** No slot: the end of a list. */
const NONE = NO_SLOT;
/**
 * Slots are added a chunk at a time, as all are taken, and a chunk once made is kept (a store does not shrink)
 * and never copied: growing costs one chunk's allocation, whatever the store holds already.
 */
const CHUNK_BITS = 12;
export const CHUNK_SLOTS = 1 << CHUNK_BITS;
const IN_CHUNK = CHUNK_SLOTS - 1;
/**
 * Bytes a slot has for its request id, one a character. Gateways' ids fit (UUIDs: 36; OpenAI's chatcmpl-...: 38;
 * LiteLLM's call ids: 36); a longer one, or one with a character past U+00FF, is kept as a string instead.
 */
const ID_BYTES = 64;
/** idLengths of a slot whose id is kept as a string (`otherIds`). */
const ID_AS_STRING = -1;

/**
 * The per-slot arrays of CHUNK_SLOTS slots (slot s is at `s & IN_CHUNK` in chunk `s >> CHUNK_BITS`), views of one
 * ArrayBuffer: one allocation a chunk, and nothing in it the garbage collector copies or visits.
 */
class Chunk {
  private readonly buffer = new ArrayBuffer(CHUNK_SLOTS * (3 * 8 + 8 * 4 + ID_BYTES));
  private used = 0;
  /** The reserved amount, pico-USD (at most RECORD_BOUNDS.maxPusd, so exact in 64 bits). */
  readonly amounts = new BigInt64Array(this.buffer, this.take(8), CHUNK_SLOTS);
  readonly expiresMs = new Float64Array(this.buffer, this.take(8), CHUNK_SLOTS);
  /** The commit sequence number at which its usage record was committed; 0 while it was not. */
  readonly settledAt = new Float64Array(this.buffer, this.take(8), CHUNK_SLOTS);
  /** Its request id's length (ID_AS_STRING: kept in otherIds) and hash (hashId). */
  readonly idLengths = this.int32s();
  readonly idHashes = this.int32s();
  /** The number of its covered budgets' array (Reservations.coverings). */
  readonly covering = this.int32s();
  /** The next free slot after a free one, NONE after the last. */
  readonly nextFree = this.int32s();
  /** Links of the made and settled lists (SlotList). */
  readonly madeLinks = [this.int32s(), this.int32s()] as const;
  readonly settledLinks = [this.int32s(), this.int32s()] as const;
  /** Its request id's bytes, ID_BYTES from its index × ID_BYTES. */
  readonly idBytes = new Uint8Array(this.buffer, this.take(ID_BYTES), CHUNK_SLOTS * ID_BYTES);

  /** The offset of the next array of `bytesEach` bytes a slot, and reserves its bytes. */
  private take(bytesEach: number): number {
    const at = this.used;
    this.used += bytesEach * CHUNK_SLOTS;
    return at;
  }

  private int32s(): Int32Array {
    return new Int32Array(this.buffer, this.take(4), CHUNK_SLOTS);
  }
}

/** A request's open reservation: its amount, and the budgets it counts on. */
export interface HeldReservation {
  amountPusd: bigint;
  budgets: readonly string[];
}

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
 * byte arena, and ids are found through an index of slots by hash in Int32Arrays (./slotIndex.ts). The caller's
 * id string dies young. Neither the slots nor the index ever stop a call to copy what they hold: a store that
 * doubled its arrays stopped the decision that filled it for 8 ms at 16,384 open reservations and ~110 ms at
 * 262,144 (bench/README.md, session 17).
 */
export class Reservations {
  private readonly chunks: Chunk[] = [];
  /** The ids that do not fit in bytes, by slot. */
  private readonly otherIds = new Map<number, string>();
  /** The open slots by their id's hash. */
  private readonly index = new SlotIndex();
  private open = 0;
  /** Open reservations in the order made, the oldest first. */
  private readonly made = new SlotList();
  /** Settled reservations in commit order, for dropSettled to take from the front. */
  private readonly settled = new SlotList();
  /** The free slots, linked through Chunk.nextFree; the lowest first in a new chunk. */
  private firstFree = NONE;
  /**
   * The covered budgets' arrays of open reservations by number (a slot keeps the number), and how many open
   * reservations use each: the enforcer shares one array among all requests with the same budgets, so there are
   * few, and a number goes back to `freeCoverings` when its last reservation does.
   */
  private readonly coverings: (readonly string[] | undefined)[] = [];
  private readonly coveringUses: number[] = [];
  private readonly coveringNumbers = new Map<readonly string[], number>();
  private readonly freeCoverings: number[] = [];
  private readonly sums = new Map<string, bigint>();
  private readonly counts = new Map<string, number>();

  /** Reserves `amountPusd` on each budget for `requestId`; a second check of the same request id replaces the first. */
  reserve(requestId: string, amountPusd: bigint, budgets: readonly string[], expiresMs: number): void {
    if (amountPusd < 0n || amountPusd > RECORD_BOUNDS.maxPusd)
      throw new RangeError(`a reservation of ${amountPusd} pico-USD is outside 0 .. ${RECORD_BOUNDS.maxPusd}`);
    const hash = hashId(requestId);
    const before = this.find(requestId, hash);
    if (before !== NONE) this.removeSlot(before);
    if (this.firstFree === NONE) this.addChunk();
    const slot = this.firstFree;
    const c = this.chunks[slot >> CHUNK_BITS]!;
    const i = slot & IN_CHUNK;
    this.firstFree = c.nextFree[i]!;
    this.storeId(c, i, slot, requestId, hash);
    this.index.insert(slot, hash);
    this.open++;
    c.covering[i] = this.use(budgets);
    c.amounts[i] = amountPusd;
    c.expiresMs[i] = expiresMs;
    c.settledAt[i] = 0;
    this.made.append(slot);
    for (const b of budgets) {
      this.sums.set(b, (this.sums.get(b) ?? 0n) + amountPusd);
      this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    }
  }

  /**
   * The open reservation of `requestId` (its amount and the budgets it is on), which its next `reserve` replaces;
   * undefined when it has none.
   */
  heldBy(requestId: string): HeldReservation | undefined {
    if (!this.open) return undefined;
    const slot = this.find(requestId, hashId(requestId));
    if (slot === NONE) return undefined;
    const c = this.chunks[slot >> CHUNK_BITS]!;
    const i = slot & IN_CHUNK;
    return { amountPusd: c.amounts[i]!, budgets: this.coverings[c.covering[i]!]! };
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
      if (slot === NONE) continue;
      const c = this.chunks[slot >> CHUNK_BITS]!;
      if (c.settledAt[slot & IN_CHUNK]) continue;
      c.settledAt[slot & IN_CHUNK] = sequence;
      this.settled.append(slot);
    }
  }

  /**
   * Drops the reservations settled at or before commit `sequence`: the spend just read includes them. (A request
   * id checked again after its record was committed has a new reservation, not settled: it stays.)
   */
  dropSettled(sequence: number): void {
    for (let slot = this.settled.first; slot !== NONE; slot = this.settled.first) {
      if (this.chunks[slot >> CHUNK_BITS]!.settledAt[slot & IN_CHUNK]! > sequence) return;
      this.removeSlot(slot);
    }
  }

  /**
   * Drops reservations whose TTL ran out, at most `limit` of them; returns how many. Reservations are kept in the
   * order made, so with one TTL the oldest expire first and the scan stops at the first one still open (after a
   * reload shortens the TTL, newer ones may wait for older ones: they expire late, never early).
   */
  expire(nowMs: number, limit = Infinity): number {
    let n = 0;
    for (let slot = this.made.first; slot !== NONE && n < limit; slot = this.made.first) {
      if (this.chunks[slot >> CHUNK_BITS]!.expiresMs[slot & IN_CHUNK]! > nowMs) break;
      this.removeSlot(slot);
      n++;
    }
    return n;
  }

  private removeSlot(slot: number): void {
    const c = this.chunks[slot >> CHUNK_BITS]!;
    const i = slot & IN_CHUNK;
    this.index.remove(slot, c.idHashes[i]!);
    if (c.idLengths[i] === ID_AS_STRING) this.otherIds.delete(slot);
    this.open--;
    const amountPusd = c.amounts[i]!;
    const covering = c.covering[i]!;
    for (const b of this.coverings[covering]!) {
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
    if (c.settledAt[i]) this.settled.unlink(slot);
    this.release(covering);
    c.nextFree[i] = this.firstFree;
    this.firstFree = slot;
  }

  /** The number of `budgets` among the coverings, with one use more. */
  private use(budgets: readonly string[]): number {
    let n = this.coveringNumbers.get(budgets);
    if (n === undefined) {
      n = this.freeCoverings.pop() ?? this.coverings.length;
      this.coverings[n] = budgets;
      this.coveringUses[n] = 0;
      this.coveringNumbers.set(budgets, n);
    }
    this.coveringUses[n]!++;
    return n;
  }

  /** One use less of covering `n`; its number is free again after the last. */
  private release(n: number): void {
    if (--this.coveringUses[n]! > 0) return;
    this.coveringNumbers.delete(this.coverings[n]!);
    this.coverings[n] = undefined;
    this.freeCoverings.push(n);
  }

  /** Keeps `id` as the slot's (at `i` of chunk `c`): its bytes when it has ID_BYTES characters at most, all up to U+00FF. */
  private storeId(c: Chunk, i: number, slot: number, id: string, hash: number): void {
    c.idHashes[i] = hash;
    if (id.length <= ID_BYTES) {
      const at = i * ID_BYTES;
      let k = 0;
      for (; k < id.length; k++) {
        const code = id.charCodeAt(k);
        if (code > 0xff) break;
        c.idBytes[at + k] = code;
      }
      if (k === id.length) {
        c.idLengths[i] = id.length;
        return;
      }
    }
    c.idLengths[i] = ID_AS_STRING;
    this.otherIds.set(slot, id);
  }

  private idIs(slot: number, id: string): boolean {
    const c = this.chunks[slot >> CHUNK_BITS]!;
    const i = slot & IN_CHUNK;
    const length = c.idLengths[i]!;
    if (length === ID_AS_STRING) return this.otherIds.get(slot) === id;
    if (length !== id.length) return false;
    const at = i * ID_BYTES;
    for (let k = 0; k < length; k++) if (c.idBytes[at + k] !== id.charCodeAt(k)) return false;
    return true;
  }

  /** The open slot of `id` (whose hash is `hash`), NONE when there is none. */
  private find(id: string, hash: number): number {
    for (let slot = this.index.first(hash); slot !== NONE; slot = this.index.next())
      if (this.idIs(slot, id)) return slot;
    return NONE;
  }

  /** Adds a chunk of free slots, the lowest to be taken first. */
  private addChunk(): void {
    const c = new Chunk();
    const base = this.chunks.length * CHUNK_SLOTS;
    this.chunks.push(c);
    this.made.addChunk(...c.madeLinks);
    this.settled.addChunk(...c.settledLinks);
    for (let i = CHUNK_SLOTS - 1; i >= 0; i--) {
      c.nextFree[i] = this.firstFree;
      this.firstFree = base + i;
    }
  }
}

/**
 * FNV-1a over a request id's UTF-16 code units, then MurmurHash3's finalizer (fmix32): FNV-1a's low bits depend
 * on the characters' low bits alone, and the index takes parts by a hash's low bits and positions by its high
 * ones. A signed 32-bit integer, as idHashes (an Int32Array) gives it back; the empty id's too.
 */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * A doubly linked list of slots, its links in typed arrays a chunk of slots each (views of the store's chunks):
 * append at the end, unlink anywhere, in O(1).
 */
class SlotList {
  private head = NONE;
  private last = NONE;
  private readonly prev: Int32Array[] = [];
  private readonly next: Int32Array[] = [];

  /** The first slot, NONE when the list is empty. */
  get first(): number {
    return this.head;
  }

  /** Takes the links of a chunk of slots more. */
  addChunk(prev: Int32Array, next: Int32Array): void {
    this.prev.push(prev);
    this.next.push(next);
  }

  append(slot: number): void {
    this.prev[slot >> CHUNK_BITS]![slot & IN_CHUNK] = this.last;
    this.next[slot >> CHUNK_BITS]![slot & IN_CHUNK] = NONE;
    if (this.last === NONE) this.head = slot;
    else this.next[this.last >> CHUNK_BITS]![this.last & IN_CHUNK] = slot;
    this.last = slot;
  }

  unlink(slot: number): void {
    const before = this.prev[slot >> CHUNK_BITS]![slot & IN_CHUNK]!;
    const after = this.next[slot >> CHUNK_BITS]![slot & IN_CHUNK]!;
    if (before === NONE) this.head = after;
    else this.next[before >> CHUNK_BITS]![before & IN_CHUNK] = after;
    if (after === NONE) this.last = before;
    else this.prev[after >> CHUNK_BITS]![after & IN_CHUNK] = before;
  }
}
