import { HpackError } from './hpackError';
import { huffmanDecode } from './huffman';

/* HPACK's two primitive types (RFC 7541 section 5): integers with an N-bit prefix, and string literals. */

/** Integers above this are refused (RFC 7541 section 5.1 leaves the limit to the implementation). */
const MAX_INTEGER = 0x7fffffff;

/** Reads primitives from one header block, from its start on. */
export class BlockReader {
  private bytes: Buffer = Buffer.alloc(0);
  /** The next octet to read. */
  pos = 0;

  /** Starts reading `block` (a view on it, no copy). */
  reset(block: Uint8Array): void {
    this.bytes = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    this.pos = 0;
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** The next octet, not consumed; the caller checks !atEnd. */
  peek(): number {
    return this.bytes[this.pos];
  }

  /** An integer whose prefix is the next octet's low `prefixBits` bits (section 5.1), at most 2^31 - 1. */
  integer(prefixBits: number): number {
    const bytes = this.bytes;
    if (this.pos >= bytes.length) throw new HpackError('block ends before an integer');
    const mask = (1 << prefixBits) - 1;
    let value = bytes[this.pos++] & mask;
    if (value < mask) return value;
    // Continuation octets, 7 bits each, least significant first; 2^31 - 1 needs at most 5 of them.
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.pos >= bytes.length) throw new HpackError('block ends inside an integer');
      const octet = bytes[this.pos++];
      value += (octet & 0x7f) * 2 ** shift;
      if (value > MAX_INTEGER) throw new HpackError('integer above 2^31 - 1');
      if (octet < 0x80) return value;
    }
    throw new HpackError('integer with more than 5 continuation octets');
  }

  /** A string literal (section 5.2): H bit, 7-bit-prefix length, octets; latin1. */
  string(): string {
    const bytes = this.bytes;
    if (this.pos >= bytes.length) throw new HpackError('block ends before a string literal');
    const huffman = bytes[this.pos] & 0x80;
    const length = this.integer(7);
    const start = this.pos;
    if (length > bytes.length - start) throw new HpackError('string literal runs past the block');
    this.pos = start + length;
    return huffman ? huffmanDecode(bytes, start, this.pos) : bytes.toString('latin1', start, this.pos);
  }
}

/**
 * Writes `value` with a `prefixBits`-bit prefix (section 5.1) after the first octet's high bits `flags`; returns
 * the position after it. The caller makes room: at most 6 octets for 2^31 - 1.
 */
export function writeInteger(out: Buffer, pos: number, flags: number, prefixBits: number, value: number): number {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out[pos++] = flags | value;
    return pos;
  }
  out[pos++] = flags | mask;
  let rest = value - mask;
  while (rest >= 0x80) {
    out[pos++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[pos++] = rest;
  return pos;
}

/** Writes a latin1 string literal without Huffman coding (section 5.2); returns the position after it. */
export function writeString(out: Buffer, pos: number, value: string): number {
  const start = writeInteger(out, pos, 0x00, 7, value.length);
  return start + out.write(value, start, 'latin1');
}
