/** No value: the end of a probe. */
export const NO_SLOT = -1;

/** Entries a part holds before it splits (half its capacity, so that probes stay short). */
const PART_ENTRIES = 1024;
const PART_CAPACITY = PART_ENTRIES * 2;
/**
 * How many low bits of a hash the directory may use; the 11 above them place an entry in a part of PART_CAPACITY.
 * 2^21 parts of a thousand entries is past any store's size.
 */
const DEPTH_LIMIT = 21;

/**
 * One part of the index: a hash table with open addressing and linear probing, each entry two Int32s (the slot
 * + 1, 0 where empty; the slot's hash). Positions come from a hash's high bits; which part a hash is in, from its
 * low bits (`depth` of them, at most DEPTH_LIMIT), so the two do not overlap.
 */
class Part {
  readonly entries: Int32Array;
  count = 0;
  /** A hash's first position is its top log2(capacity) bits: `hash >>> shift`. */
  readonly shift: number;

  constructor(
    /** How many low bits of a hash its parts share: the directory's entries for this part are those. */
    readonly depth: number,
    /** Positions in the table, a power of two. */
    readonly capacity: number
  ) {
    this.entries = new Int32Array(capacity * 2);
    this.shift = 32 - Math.log2(capacity);
  }

  /** Where `hash` starts probing. */
  home(hash: number): number {
    return hash >>> this.shift;
  }
}

/**
 * The open slots of a store found by their 32-bit hash, in memory off the JavaScript heap (Int32Arrays), growing
 * without ever stopping to rehash everything: extendible hashing (Fagin et al., 1979). A directory indexed by the
 * hash's low bits points at parts; a part that fills splits in two on the next bit, and only the directory (an
 * array of references, one a part) doubles when a part has as many bits as it. So growth costs one part's
 * entries at a time (PART_ENTRIES: tens of microseconds), where a single table doubling stops its caller for as
 * long as copying all of it takes (a 262,144-entry store of the session before: ~110 ms).
 *
 * A lookup does not allocate: `first(hash)` and `next()` walk the slots stored under a hash (the caller compares
 * what the hash cannot tell apart), one walk at a time.
 */
export class SlotIndex {
  private directory: Part[] = [new Part(0, PART_CAPACITY)];
  private depth = 0;
  /** The walk of first/next: its part, the position to look at next, and the hash sought. */
  private walkPart: Part = this.directory[0]!;
  private walkAt = 0;
  private walkHash = 0;

  /** The first slot stored under `hash`, NO_SLOT when there is none; then `next()` for the others. */
  first(hash: number): number {
    this.walkPart = this.partOf(hash);
    this.walkAt = this.walkPart.home(hash);
    this.walkHash = hash;
    return this.next();
  }

  /** The next slot stored under the hash of the last `first`, NO_SLOT after the last. */
  next(): number {
    const entries = this.walkPart.entries;
    const mask = this.walkPart.capacity - 1;
    for (let at = this.walkAt; ; at = (at + 1) & mask) {
      const stored = entries[at * 2]!;
      if (stored === 0) {
        this.walkAt = at;
        return NO_SLOT;
      }
      if (entries[at * 2 + 1] === this.walkHash) {
        this.walkAt = (at + 1) & mask;
        return stored - 1;
      }
    }
  }

  insert(slot: number, hash: number): void {
    let part = this.partOf(hash);
    if (part.count >= part.capacity >> 1) {
      this.split(part);
      part = this.partOf(hash);
    }
    place(part, slot, hash);
  }

  /** Takes `slot` (stored under `hash`) out. */
  remove(slot: number, hash: number): void {
    const part = this.partOf(hash);
    const entries = part.entries;
    const mask = part.capacity - 1;
    let hole = part.home(hash);
    while (entries[hole * 2] !== slot + 1) hole = (hole + 1) & mask;
    // Knuth's deletion for linear probing: entries after the hole that probing would no longer reach move back
    // into it, so there are no tombstones and lookups never slow down with churn. The entry at j stays where it
    // is when its home lies cyclically in (hole, j].
    for (let j = (hole + 1) & mask; entries[j * 2] !== 0; j = (j + 1) & mask) {
      const home = part.home(entries[j * 2 + 1]!);
      const reachable = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (reachable) continue;
      entries[hole * 2] = entries[j * 2]!;
      entries[hole * 2 + 1] = entries[j * 2 + 1]!;
      hole = j;
    }
    entries[hole * 2] = 0;
    part.count--;
  }

  private partOf(hash: number): Part {
    return this.directory[hash & ((1 << this.depth) - 1)]!;
  }

  /**
   * Splits a full part in two on its next hash bit. A part whose entries all share that bit (or that has used all
   * the bits it may: equal hashes) doubles its table instead, so any run of hashes is stored, however unlucky.
   */
  private split(part: Part): void {
    const bit = part.depth;
    let ones = 0;
    for (let at = 0; at < part.capacity; at++)
      if (part.entries[at * 2] && (part.entries[at * 2 + 1]! >>> bit) & 1) ones++;
    if (bit >= DEPTH_LIMIT || ones === 0 || ones === part.count) {
      const grown = new Part(part.depth, part.capacity * 2);
      forEachEntry(part, (slot, hash) => place(grown, slot, hash));
      this.replace(part, [grown]);
      return;
    }
    if (bit === this.depth) {
      this.directory = this.directory.concat(this.directory);
      this.depth++;
    }
    const low = new Part(bit + 1, capacityFor(part.count - ones));
    const high = new Part(bit + 1, capacityFor(ones));
    forEachEntry(part, (slot, hash) => place((hash >>> bit) & 1 ? high : low, slot, hash));
    this.replace(part, [low, high]);
  }

  /** Points the directory's entries for `part` at its replacements: by the next bit when there are two. */
  private replace(part: Part, by: Part[]): void {
    for (let i = 0; i < this.directory.length; i++)
      if (this.directory[i] === part) this.directory[i] = by[by.length === 1 ? 0 : (i >>> part.depth) & 1]!;
  }
}

/** A part's capacity for `entries`: PART_CAPACITY, or more for a part that had grown (it stays under half full). */
function capacityFor(entries: number): number {
  let capacity = PART_CAPACITY;
  while (capacity < entries * 2) capacity *= 2;
  return capacity;
}

function place(part: Part, slot: number, hash: number): void {
  const mask = part.capacity - 1;
  let at = part.home(hash);
  while (part.entries[at * 2] !== 0) at = (at + 1) & mask;
  part.entries[at * 2] = slot + 1;
  part.entries[at * 2 + 1] = hash;
  part.count++;
}

/** Calls `each` with every entry of `part` (a split's or a growth's one pass over it). */
function forEachEntry(part: Part, each: (slot: number, hash: number) => void): void {
  for (let at = 0; at < part.capacity; at++) {
    const stored = part.entries[at * 2]!;
    if (stored) each(stored - 1, part.entries[at * 2 + 1]!);
  }
}
