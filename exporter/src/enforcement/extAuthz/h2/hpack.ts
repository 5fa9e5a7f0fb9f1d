import { DynamicTable, ENTRY_OVERHEAD } from './dynamicTable';
import { HpackError } from './hpackError';
import { BlockReader, writeInteger, writeString } from './primitives';
import { STATIC_TABLE } from './staticTable';

/*
 * HPACK (RFC 7541), the header compression of HTTP/2: a decoder with its dynamic table, and an encoder that needs
 * none of the peer's table state.
 */

export { HpackError };

/** A header field: name and value as latin1 strings (octets as they came). */
export type HeaderField = [name: string, value: string];

export class HpackDecoder {
  private readonly table: DynamicTable;
  private readonly reader = new BlockReader();

  /**
   * maxTableSize: the SETTINGS_HEADER_TABLE_SIZE this side announced; maxListSize: bound on the decoded list's
   * size (RFC 9113 section 6.5.2: the sum of name + value + 32 octets per field), checked as each field is
   * decoded, so a block of one-octet references to a large entry (an "HPACK bomb") fails before it allocates much.
   */
  constructor(
    maxTableSize: number,
    private readonly maxListSize: number
  ) {
    this.table = new DynamicTable(maxTableSize);
  }

  /** The dynamic table's size (RFC 7541 section 4.1), for diagnostics. */
  get dynamicTableSize(): number {
    return this.table.size;
  }

  /** Decodes one complete header block (HEADERS + CONTINUATION payloads joined), updating the dynamic table. */
  decode(block: Uint8Array): HeaderField[] {
    const reader = this.reader;
    reader.reset(block);
    const fields: HeaderField[] = [];
    let listSize = 0;
    while (!reader.atEnd) {
      const first = reader.peek();
      let field: HeaderField;
      if (first & 0x80) {
        // Indexed header field (section 6.1).
        const entry = this.entry(reader.integer(7));
        field = [entry[0], entry[1]];
      } else if (first & 0x40) {
        // Literal with incremental indexing (section 6.2.1).
        field = this.literal(6);
        // The table keeps its own tuple: the caller owns the returned one and may change it.
        this.table.add([field[0], field[1]]);
      } else if (first & 0x20) {
        // Dynamic table size update (section 6.3), allowed only before the block's first field (section 4.2).
        if (fields.length > 0) throw new HpackError('dynamic table size update after a header field');
        const maxSize = reader.integer(5);
        if (maxSize > this.table.limit) {
          throw new HpackError(`dynamic table size update to ${maxSize}, above the ${this.table.limit} announced`);
        }
        this.table.resize(maxSize);
        continue;
      } else {
        // Literal without indexing (0000xxxx, section 6.2.2) or never indexed (0001xxxx, section 6.2.3): the same
        // to a decoder; never-indexed binds only intermediaries that re-encode the field.
        field = this.literal(4);
      }
      listSize += field[0].length + field[1].length + ENTRY_OVERHEAD;
      if (listSize > this.maxListSize) throw new HpackError(`header list larger than ${this.maxListSize} octets`);
      fields.push(field);
    }
    return fields;
  }

  /** Static entries are 1..61, dynamic ones follow, newest first (section 2.3.3). */
  private entry(index: number): Readonly<HeaderField> {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const dynamicIndex = index - STATIC_TABLE.length;
    if (dynamicIndex > this.table.length) throw new HpackError(`index ${index} beyond both tables`);
    return this.table.get(dynamicIndex);
  }

  /** A literal field whose first octet holds a name index in its low `prefixBits` bits, 0 for a new name. */
  private literal(prefixBits: number): HeaderField {
    const nameIndex = this.reader.integer(prefixBits);
    const name = nameIndex === 0 ? this.reader.string() : this.entry(nameIndex)[0];
    return [name, this.reader.string()];
  }
}

/** The static table's index of each name (its first entry) and of each name and value pair. */
const STATIC_NAME_INDEX = new Map<string, number>();
const STATIC_FIELD_INDEX = new Map<string, Map<string, number>>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
  const values = STATIC_FIELD_INDEX.get(name) ?? new Map<string, number>();
  values.set(value, i + 1);
  STATIC_FIELD_INDEX.set(name, values);
});

/** Where blocks are encoded before being copied out at their size; grown, never shrunk. */
let encodeScratch = Buffer.allocUnsafe(1024);

/**
 * Encodes fields without touching any dynamic table: an indexed static entry when name and value match
 * (":status" "200" -> 0x88), else a literal without indexing (section 6.2.2) naming the static entry when the
 * table has the name, else with the name as a literal; no Huffman. Any decoder decodes it whatever its table holds.
 */
export function encodeHeaderBlock(fields: ReadonlyArray<HeaderField>): Buffer {
  let out = encodeScratch;
  let pos = 0;
  for (const [name, value] of fields) {
    // A field is its strings plus at most 1 + 6 + 6 octets of representation and lengths.
    const most = pos + name.length + value.length + 13;
    if (out.length < most) {
      out = Buffer.allocUnsafe(Math.max(most, out.length * 2));
      encodeScratch.copy(out, 0, 0, pos);
      encodeScratch = out;
    }
    const exact = STATIC_FIELD_INDEX.get(name)?.get(value);
    if (exact !== undefined) {
      pos = writeInteger(out, pos, 0x80, 7, exact);
      continue;
    }
    const nameIndex = STATIC_NAME_INDEX.get(name);
    if (nameIndex !== undefined) {
      pos = writeInteger(out, pos, 0x00, 4, nameIndex);
    } else {
      out[pos++] = 0x00;
      pos = writeString(out, pos, name);
    }
    pos = writeString(out, pos, value);
  }
  return Buffer.from(out.subarray(0, pos));
}
