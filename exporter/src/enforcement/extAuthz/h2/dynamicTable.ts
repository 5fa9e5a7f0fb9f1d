import type { HeaderField } from './hpack';

/** RFC 7541 section 4.1: an entry's size is its name's and value's octets plus 32. */
export const ENTRY_OVERHEAD = 32;

/**
 * The HPACK dynamic table (RFC 7541 section 2.3.2): a ring of entries, newest at index 1, evicted oldest first to
 * stay within its maximum size (section 4.4). Index lookups are O(1); no entry allocates beyond its field.
 */
export class DynamicTable {
  /** No entry is smaller than ENTRY_OVERHEAD, so the ring never holds more than this many. */
  private readonly fields: Array<HeaderField | undefined>;
  /** The slot the next entry goes to; the newest is just before it. */
  private head = 0;
  private count = 0;
  private bytes = 0;

  /** limit: the largest maxSize may become (the SETTINGS_HEADER_TABLE_SIZE this side announced). */
  constructor(
    readonly limit: number,
    private maxSize = limit
  ) {
    this.fields = new Array<HeaderField | undefined>(Math.floor(limit / ENTRY_OVERHEAD) + 1).fill(undefined);
  }

  /** The entries' total size (section 4.1). */
  get size(): number {
    return this.bytes;
  }

  get length(): number {
    return this.count;
  }

  /** Entry `index`, 1 the newest; the caller checks 1 <= index <= length. */
  get(index: number): HeaderField {
    const slot = this.head - index;
    return this.fields[slot < 0 ? slot + this.fields.length : slot] as HeaderField;
  }

  /** Adds a field as the newest entry, evicting as section 4.4 says: one larger than maxSize empties the table. */
  add(field: HeaderField): void {
    const entrySize = field[0].length + field[1].length + ENTRY_OVERHEAD;
    this.evictTo(this.maxSize - entrySize);
    if (entrySize > this.maxSize) return;
    this.fields[this.head] = field;
    this.head = this.head + 1 === this.fields.length ? 0 : this.head + 1;
    this.count++;
    this.bytes += entrySize;
  }

  /** A dynamic table size update (section 6.3): the caller checks maxSize <= limit. */
  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictTo(maxSize);
  }

  /** Evicts oldest entries until the size is at most `bytes` (all of them if it is negative). */
  private evictTo(bytes: number): void {
    while (this.count > 0 && this.bytes > bytes) {
      let slot = this.head - this.count;
      if (slot < 0) slot += this.fields.length;
      const oldest = this.fields[slot] as HeaderField;
      this.fields[slot] = undefined;
      this.bytes -= oldest[0].length + oldest[1].length + ENTRY_OVERHEAD;
      this.count--;
    }
  }
}
