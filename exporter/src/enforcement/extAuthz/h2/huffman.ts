import { HpackError } from './hpackError';

/*
 * The Huffman code of HPACK string literals (RFC 7541 section 5.2), decoded four bits at a time through a state
 * table built once at module load from the code in RFC 7541, Appendix B.
 */

/** RFC 7541, Appendix B: each symbol's code (0..255), MSB-aligned in an integer of HUFFMAN_LENGTHS[symbol] bits. */
export const HUFFMAN_CODES: readonly number[] = [
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7, 0xfffffe8, 0xffffea, 0x3ffffffc,
  0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec, 0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1,
  0xffffff2, 0x3ffffffe, 0xffffff3, 0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa,
  0xffffffb, 0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa, 0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
  0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc, 0x1ffa, 0x21, 0x5d,
  0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70,
  0x71, 0x72, 0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22, 0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
  0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7, 0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7ffe,
  0x7fc, 0x3ffd, 0x1ffd, 0xffffffc, 0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
  0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf, 0xffffec, 0xffffed, 0x3fffd7,
  0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3, 0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6,
  0x7fffe7, 0xffffef, 0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde, 0x7fffea, 0x3fffdd,
  0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec, 0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed,
  0x3fffe1, 0x7fffee, 0x7fffef, 0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
  0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec, 0x3ffffe2, 0x3ffffe3, 0x3ffffe4,
  0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed, 0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7,
  0x7ffffe2, 0xfffff2, 0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5, 0xfffec,
  0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3, 0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef,
  0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4, 0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9,
  0x7ffffea, 0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
];

/** RFC 7541, Appendix B: each symbol's code length in bits (5 to 30). */
export const HUFFMAN_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6,
  5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23,
  22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22,
  23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26,
  20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27,
  27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27,
  27, 27, 27, 26,
];

/** RFC 7541, Appendix B: EOS (symbol 256), thirty 1 bits; its prefixes are the only valid padding (section 5.2). */
export const HUFFMAN_EOS_CODE = 0x3fffffff;
export const HUFFMAN_EOS_LENGTH = 30;
const EOS = 256;

/*
 * The decoder is a finite automaton whose states are the code tree's internal nodes (256 of them for 257 leaves;
 * state 0 is the root). TRANSITIONS[state * 16 + nibble] says where four more bits lead from `state`: the next
 * state in bits 0-7, and at most one symbol completed on the way (the shortest code is 5 bits, so a nibble cannot
 * finish two) in bits 8-15, flagged by EMITS; FAILS flags a walk that completes EOS, which a string must not
 * contain (section 5.2).
 */
const EMITS = 1 << 16;
const FAILS = 1 << 17;
const STATES = 256;
const TRANSITIONS = new Uint32Array(STATES * 16);
/** Per state, how the string may end there: 0 valid, else the HpackError message's reason code (below). */
const ENDINGS = new Uint8Array(STATES);
const ENDS_OK = 0;
const ENDS_PADDING_TOO_LONG = 1;
const ENDS_PADDING_NOT_EOS = 2;

buildDecoder();

function buildDecoder(): void {
  // The tree: child[node * 2 + bit] is an internal node (>= 0) or a leaf, -1 - symbol.
  const child = new Int32Array(STATES * 2).fill(STATES);
  const depth = new Uint8Array(STATES);
  const allOnes = new Uint8Array(STATES).fill(1);
  let nodes = 1;
  for (let symbol = 0; symbol <= EOS; symbol++) {
    const code = symbol === EOS ? HUFFMAN_EOS_CODE : HUFFMAN_CODES[symbol];
    const length = symbol === EOS ? HUFFMAN_EOS_LENGTH : HUFFMAN_LENGTHS[symbol];
    let node = 0;
    for (let i = length - 1; i > 0; i--) {
      const bit = (code >>> i) & 1;
      if (child[node * 2 + bit] === STATES) {
        depth[nodes] = depth[node] + 1;
        allOnes[nodes] = allOnes[node] & bit;
        child[node * 2 + bit] = nodes++;
      }
      node = child[node * 2 + bit];
    }
    child[node * 2 + (code & 1)] = -1 - symbol;
  }
  for (let state = 0; state < STATES; state++) {
    // Padding is the start of EOS's all-ones code, at most 7 bits (section 5.2): anything else is a cut symbol.
    ENDINGS[state] =
      state === 0 || (allOnes[state] && depth[state] <= 7)
        ? ENDS_OK
        : allOnes[state]
          ? ENDS_PADDING_TOO_LONG
          : ENDS_PADDING_NOT_EOS;
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let out = 0;
      for (let i = 3; i >= 0; i--) {
        const next = child[node * 2 + ((nibble >>> i) & 1)];
        if (next >= 0) {
          node = next;
          continue;
        }
        out = -1 - next === EOS ? FAILS : EMITS | ((-1 - next) << 8);
        node = 0;
      }
      TRANSITIONS[state * 16 + nibble] = out | node;
    }
  }
}

/** Where decoded octets are written before the one string is made from them; grown, never shrunk. */
let scratch = Buffer.allocUnsafe(256);

/**
 * The octets Huffman-coded in bytes[start..end), as a latin1 string. Throws HpackError on EOS in the string and
 * on padding longer than 7 bits or not all ones (RFC 7541 section 5.2).
 */
export function huffmanDecode(bytes: Uint8Array, start: number, end: number): string {
  // Each symbol takes at least 5 bits.
  const most = Math.floor(((end - start) * 8) / 5);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(Math.max(most, scratch.length * 2));
  const out = scratch;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    let step = TRANSITIONS[(state << 4) | (byte >>> 4)];
    if (step >= EMITS) {
      if (step & FAILS) throw new HpackError('Huffman string contains EOS');
      out[n++] = step >>> 8;
    }
    step = TRANSITIONS[((step & 0xff) << 4) | (byte & 0xf)];
    if (step >= EMITS) {
      if (step & FAILS) throw new HpackError('Huffman string contains EOS');
      out[n++] = step >>> 8;
    }
    state = step & 0xff;
  }
  const ending = ENDINGS[state];
  if (ending === ENDS_PADDING_TOO_LONG) throw new HpackError('Huffman padding longer than 7 bits');
  if (ending === ENDS_PADDING_NOT_EOS) throw new HpackError('Huffman padding is not a prefix of EOS');
  return out.toString('latin1', 0, n);
}
