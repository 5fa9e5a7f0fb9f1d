import fc from 'fast-check';
import { encodeHeaderBlock, HeaderField, HpackDecoder, HpackError } from './hpack';
import { BlockReader, writeInteger } from './primitives';
import { STATIC_TABLE } from './staticTable';

/** Octets from the RFC's hex dumps, spaces and line breaks ignored. */
function hex(dump: string): Buffer {
  return Buffer.from(dump.replace(/\s+/g, ''), 'hex');
}

/**
 * The decoder's dynamic table, newest first, read through the decoder itself: one indexed field (section 6.1) per
 * dynamic index 62.., which must all decode while the next index must not.
 */
function dynamicEntries(decoder: HpackDecoder, count: number): HeaderField[] {
  const indexes = Array.from({ length: count }, (_, i) => 0x80 | (62 + i));
  expect(() => decoder.decode(Buffer.from([0x80 | (62 + count)]))).toThrow(HpackError);
  return decoder.decode(Buffer.from(indexes));
}

const LIMIT = 65536;

describe('HPACK integers (RFC 7541 C.1)', () => {
  function read(bytes: number[], prefixBits: number): number {
    const reader = new BlockReader();
    reader.reset(Buffer.from(bytes));
    const value = reader.integer(prefixBits);
    expect(reader.atEnd).toBe(true);
    return value;
  }
  function write(flags: number, prefixBits: number, value: number): number[] {
    const out = Buffer.alloc(8);
    return [...out.subarray(0, writeInteger(out, 0, flags, prefixBits, value))];
  }

  it('C.1.1: 10 with a 5-bit prefix', () => {
    expect(write(0, 5, 10)).toEqual([0x0a]);
    // The 3 high bits belong to the representation, not the integer.
    expect(read([0xea], 5)).toBe(10);
  });

  it('C.1.2: 1337 with a 5-bit prefix', () => {
    expect(write(0, 5, 1337)).toEqual([0x1f, 0x9a, 0x0a]);
    expect(read([0x1f, 0x9a, 0x0a], 5)).toBe(1337);
  });

  it('C.1.3: 42 starting at an octet boundary (8-bit prefix)', () => {
    expect(write(0, 8, 42)).toEqual([0x2a]);
    expect(read([0x2a], 8)).toBe(42);
  });

  it('reads and writes the prefix boundary and 2^31 - 1', () => {
    expect(write(0x40, 6, 63)).toEqual([0x7f, 0x00]);
    expect(read([0x7f, 0x00], 6)).toBe(63);
    expect(write(0, 7, 2 ** 31 - 1)).toEqual([0x7f, 0x80, 0xff, 0xff, 0xff, 0x07]);
    expect(read([0x7f, 0x80, 0xff, 0xff, 0xff, 0x07], 7)).toBe(2 ** 31 - 1);
  });
});

describe('HpackDecoder on RFC 7541 Appendix C.2 (one field each)', () => {
  it('C.2.1: literal with indexing adds to the dynamic table', () => {
    const decoder = new HpackDecoder(4096, LIMIT);
    const block = hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572');
    expect(decoder.decode(block)).toEqual([['custom-key', 'custom-header']]);
    expect(decoder.dynamicTableSize).toBe(55);
    expect(dynamicEntries(decoder, 1)).toEqual([['custom-key', 'custom-header']]);
  });

  it('C.2.2: literal without indexing leaves the table empty', () => {
    const decoder = new HpackDecoder(4096, LIMIT);
    expect(decoder.decode(hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([[':path', '/sample/path']]);
    expect(decoder.dynamicTableSize).toBe(0);
    expect(dynamicEntries(decoder, 0)).toEqual([]);
  });

  it('C.2.3: never-indexed literal leaves the table empty', () => {
    const decoder = new HpackDecoder(4096, LIMIT);
    expect(decoder.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([['password', 'secret']]);
    expect(decoder.dynamicTableSize).toBe(0);
    expect(dynamicEntries(decoder, 0)).toEqual([]);
  });

  it('C.2.4: indexed field', () => {
    const decoder = new HpackDecoder(4096, LIMIT);
    expect(decoder.decode(hex('82'))).toEqual([[':method', 'GET']]);
    expect(decoder.dynamicTableSize).toBe(0);
  });
});

type Step = { block: string; fields: HeaderField[]; table: HeaderField[]; size: number };

/** Decodes the steps' blocks in order on one decoder, checking each list and the table after it. */
function decodesInOrder(maxTableSize: number, steps: Step[]): void {
  const decoder = new HpackDecoder(maxTableSize, LIMIT);
  for (const step of steps) {
    expect(decoder.decode(hex(step.block))).toEqual(step.fields);
    expect(decoder.dynamicTableSize).toBe(step.size);
    expect(dynamicEntries(decoder, step.table.length)).toEqual(step.table);
  }
}

const REQUEST_1: HeaderField[] = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
];
const REQUEST_2: HeaderField[] = [...REQUEST_1, ['cache-control', 'no-cache']];
const REQUEST_3: HeaderField[] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
];
const REQUEST_TABLES: HeaderField[][] = [
  [[':authority', 'www.example.com']],
  [
    ['cache-control', 'no-cache'],
    [':authority', 'www.example.com'],
  ],
  [
    ['custom-key', 'custom-value'],
    ['cache-control', 'no-cache'],
    [':authority', 'www.example.com'],
  ],
];

const DATE_21 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE_22 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOCATION = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESPONSE_1: HeaderField[] = [
  [':status', '302'],
  ['cache-control', 'private'],
  ['date', DATE_21],
  ['location', LOCATION],
];
const RESPONSE_2: HeaderField[] = [[':status', '307'], ...RESPONSE_1.slice(1)];
const RESPONSE_3: HeaderField[] = [
  [':status', '200'],
  ['cache-control', 'private'],
  ['date', DATE_22],
  ['location', LOCATION],
  ['content-encoding', 'gzip'],
  ['set-cookie', COOKIE],
];
const RESPONSE_TABLES: HeaderField[][] = [
  [
    ['location', LOCATION],
    ['date', DATE_21],
    ['cache-control', 'private'],
    [':status', '302'],
  ],
  [
    [':status', '307'],
    ['location', LOCATION],
    ['date', DATE_21],
    ['cache-control', 'private'],
  ],
  [
    ['set-cookie', COOKIE],
    ['content-encoding', 'gzip'],
    ['date', DATE_22],
  ],
];

describe('HpackDecoder on RFC 7541 Appendix C.3-C.6 (one connection each)', () => {
  it('C.3: requests without Huffman coding', () => {
    decodesInOrder(4096, [
      {
        block: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        fields: REQUEST_1,
        table: REQUEST_TABLES[0],
        size: 57,
      },
      { block: '8286 84be 5808 6e6f 2d63 6163 6865', fields: REQUEST_2, table: REQUEST_TABLES[1], size: 110 },
      {
        block: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
        fields: REQUEST_3,
        table: REQUEST_TABLES[2],
        size: 164,
      },
    ]);
  });

  it('C.4: requests with Huffman coding', () => {
    decodesInOrder(4096, [
      { block: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', fields: REQUEST_1, table: REQUEST_TABLES[0], size: 57 },
      { block: '8286 84be 5886 a8eb 1064 9cbf', fields: REQUEST_2, table: REQUEST_TABLES[1], size: 110 },
      {
        block: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
        fields: REQUEST_3,
        table: REQUEST_TABLES[2],
        size: 164,
      },
    ]);
  });

  it('C.5: responses without Huffman coding, 256-octet table, evicting', () => {
    decodesInOrder(256, [
      {
        block: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133
                3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
        fields: RESPONSE_1,
        table: RESPONSE_TABLES[0],
        size: 222,
      },
      { block: '4803 3330 37c1 c0bf', fields: RESPONSE_2, table: RESPONSE_TABLES[1], size: 222 },
      {
        block: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a
                6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d
                6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
        fields: RESPONSE_3,
        table: RESPONSE_TABLES[2],
        size: 215,
      },
    ]);
  });

  it('C.6: responses with Huffman coding, 256-octet table, evicting', () => {
    decodesInOrder(256, [
      {
        block: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d
                29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
        fields: RESPONSE_1,
        table: RESPONSE_TABLES[0],
        size: 222,
      },
      { block: '4883 640e ffc1 c0bf', fields: RESPONSE_2, table: RESPONSE_TABLES[1], size: 222 },
      {
        block: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d
                d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106
                3d50 07`,
        fields: RESPONSE_3,
        table: RESPONSE_TABLES[2],
        size: 215,
      },
    ]);
  });
});

describe('HpackDecoder dynamic table', () => {
  it('decodes a plain Uint8Array view at an offset, not only a Buffer', () => {
    const backing = new Uint8Array([0xff, 0xff, 0x82, 0x04, 0x81, 0x07, 0xff]);
    expect(new HpackDecoder(4096, LIMIT).decode(backing.subarray(2, 6))).toEqual([
      [':method', 'GET'],
      [':path', '0'],
    ]);
  });

  it('applies size updates at the block start, evicting the oldest entries', () => {
    const decoder = new HpackDecoder(4096, LIMIT);
    decoder.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')); // C.3.1
    decoder.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865')); // C.3.2: 57 + 53 octets
    // Two updates in a row (section 4.2 allows it): to 100 (keeps only cache-control's 53), then to 4096.
    expect(decoder.decode(Buffer.from([0x3f, 0x45, 0x3f, 0xe1, 0x1f, 0x82]))).toEqual([[':method', 'GET']]);
    expect(decoder.dynamicTableSize).toBe(53);
    expect(dynamicEntries(decoder, 1)).toEqual([['cache-control', 'no-cache']]);
    // To 0: empty.
    expect(decoder.decode(Buffer.from([0x20]))).toEqual([]);
    expect(decoder.dynamicTableSize).toBe(0);
    expect(dynamicEntries(decoder, 0)).toEqual([]);
  });

  it('keeps its entries apart from the lists it returns', () => {
    const decoder = new HpackDecoder(4096, LIMIT);
    const [added] = decoder.decode(Buffer.from([0x40, 0x01, 0x61, 0x01, 0x62]));
    added[1] = 'changed';
    const [indexed] = decoder.decode(Buffer.from([0x80 | 62]));
    indexed[0] = 'changed';
    expect(dynamicEntries(decoder, 1)).toEqual([['a', 'b']]);
  });

  it('keeps an entry exactly the table size, and empties the table for one larger (section 4.4)', () => {
    const decoder = new HpackDecoder(4096, LIMIT);
    // Size update to 1337 (C.1.2's integer), then custom-key (10) + a value of 1295 octets + 32 = 1337.
    const fits = Buffer.concat([
      hex('3f9a0a 400a'),
      Buffer.from('custom-key'),
      hex('7f90 09'),
      Buffer.alloc(1295, 'v'),
    ]);
    decoder.decode(fits);
    expect(decoder.dynamicTableSize).toBe(1337);
    expect(dynamicEntries(decoder, 1)).toEqual([['custom-key', 'v'.repeat(1295)]]);
    const tooLarge = Buffer.concat([hex('400a'), Buffer.from('custom-key'), hex('7f91 09'), Buffer.alloc(1296, 'w')]);
    expect(decoder.decode(tooLarge)).toEqual([['custom-key', 'w'.repeat(1296)]]);
    expect(decoder.dynamicTableSize).toBe(0);
    expect(dynamicEntries(decoder, 0)).toEqual([]);
  });

  it('holds as many entries as fit, indexing the newest first, across the ring end', () => {
    // 10 entries of 32 + 2 octets = 340 fit in 350; 25 additions wrap the ring twice.
    const decoder = new HpackDecoder(350, LIMIT);
    for (let i = 0; i < 25; i++) {
      decoder.decode(Buffer.from([0x40, 0x01, 0x61 + (i % 26), 0x01, 0x30 + (i % 10)]));
    }
    expect(decoder.dynamicTableSize).toBe(340);
    const expected = Array.from({ length: 10 }, (_, k): HeaderField => {
      const i = 24 - k;
      return [String.fromCharCode(0x61 + (i % 26)), String(i % 10)];
    });
    expect(dynamicEntries(decoder, 10)).toEqual(expected);
  });
});

describe('HpackDecoder errors (HpackError: COMPRESSION_ERROR)', () => {
  const decoder = (): HpackDecoder => new HpackDecoder(4096, LIMIT);

  it('index 0', () => {
    expect(() => decoder().decode(Buffer.from([0x80]))).toThrow(new HpackError('index 0'));
    // As a literal's name index it is a new name, not an error: 0x40 0x01 'a' 0x00.
    expect(decoder().decode(Buffer.from([0x40, 0x01, 0x61, 0x00]))).toEqual([['a', '']]);
  });

  it('index beyond the static and dynamic tables', () => {
    expect(decoder().decode(Buffer.from([0x80 | 61]))).toEqual([['www-authenticate', '']]);
    expect(() => decoder().decode(Buffer.from([0x80 | 62]))).toThrow(new HpackError('index 62 beyond both tables'));
    // As a literal's name index too.
    expect(() => decoder().decode(Buffer.from([0x0f, 0x2f, 0x00]))).toThrow(
      new HpackError('index 62 beyond both tables')
    );
    const withOne = decoder();
    withOne.decode(Buffer.from([0x40, 0x01, 0x61, 0x00]));
    expect(withOne.decode(Buffer.from([0x80 | 62]))).toEqual([['a', '']]);
    expect(() => withOne.decode(Buffer.from([0x80 | 63]))).toThrow(new HpackError('index 63 beyond both tables'));
  });

  it('size update above the announced table size', () => {
    // 4096 = 31 + 4065: 0x3f 0xe1 0x1f; 4097: 0x3f 0xe2 0x1f.
    expect(decoder().decode(Buffer.from([0x3f, 0xe1, 0x1f]))).toEqual([]);
    expect(() => decoder().decode(Buffer.from([0x3f, 0xe2, 0x1f]))).toThrow(
      new HpackError('dynamic table size update to 4097, above the 4096 announced')
    );
  });

  it('size update after a field', () => {
    expect(() => decoder().decode(Buffer.from([0x82, 0x20]))).toThrow(
      new HpackError('dynamic table size update after a header field')
    );
  });

  it('truncated integer', () => {
    expect(() => decoder().decode(Buffer.from([0xff]))).toThrow(new HpackError('block ends inside an integer'));
    expect(() => decoder().decode(Buffer.from([0xff, 0x80]))).toThrow(new HpackError('block ends inside an integer'));
    // A literal whose name index ends the block: the value's length is missing.
    expect(() => decoder().decode(Buffer.from([0x01]))).toThrow(new HpackError('block ends before a string literal'));
  });

  it('truncated string', () => {
    // A value of 4 octets with 3 there; a new name of 2 octets with 1 there.
    expect(() => decoder().decode(Buffer.from([0x01, 0x04, 0x61, 0x62, 0x63]))).toThrow(
      new HpackError('string literal runs past the block')
    );
    expect(() => decoder().decode(Buffer.from([0x00, 0x02, 0x61]))).toThrow(
      new HpackError('string literal runs past the block')
    );
    expect(() => decoder().decode(Buffer.from([0x00, 0x85, 0xff]))).toThrow(
      new HpackError('string literal runs past the block')
    );
  });

  it('integer overflow', () => {
    // 2^31 - 1 as an index decodes as an integer (then is beyond the tables); 2^31 overflows.
    expect(() => decoder().decode(Buffer.from([0xff, 0x80, 0xff, 0xff, 0xff, 0x07]))).toThrow(
      new HpackError(`index ${2 ** 31 - 1} beyond both tables`)
    );
    expect(() => decoder().decode(Buffer.from([0xff, 0x81, 0xff, 0xff, 0xff, 0x07]))).toThrow(
      new HpackError('integer above 2^31 - 1')
    );
    expect(() => decoder().decode(Buffer.from([0xff, 0x80, 0x80, 0x80, 0x80, 0x08]))).toThrow(
      new HpackError('integer above 2^31 - 1')
    );
    // Zero-valued continuation octets do not grow the value but are still bounded.
    expect(() => decoder().decode(Buffer.from([0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))).toThrow(
      new HpackError('integer with more than 5 continuation octets')
    );
  });

  it('Huffman padding longer than 7 bits', () => {
    // A literal ':path' whose Huffman value is '0' (00000) then 11 padding 1s.
    expect(() => decoder().decode(Buffer.from([0x04, 0x82, 0x07, 0xff]))).toThrow(
      new HpackError('Huffman padding longer than 7 bits')
    );
  });

  it('Huffman padding not all 1s', () => {
    expect(() => decoder().decode(Buffer.from([0x04, 0x81, 0x03]))).toThrow(
      new HpackError('Huffman padding is not a prefix of EOS')
    );
  });

  it('EOS in a Huffman string', () => {
    expect(() => decoder().decode(Buffer.from([0x04, 0x84, 0xff, 0xff, 0xff, 0xff]))).toThrow(
      new HpackError('Huffman string contains EOS')
    );
  });

  it('header list over maxListSize', () => {
    // ':method' 'GET' is 7 + 3 + 32 = 42 octets: two fit in 84, three do not.
    expect(new HpackDecoder(4096, 84).decode(Buffer.from([0x82, 0x82]))).toHaveLength(2);
    expect(() => new HpackDecoder(4096, 84).decode(Buffer.from([0x82, 0x82, 0x82]))).toThrow(
      new HpackError('header list larger than 84 octets')
    );
    // A literal counts the same way: 'a' + 51 octets + 32 = 84.
    const literal = Buffer.concat([Buffer.from([0x00, 0x01, 0x61, 0x33]), Buffer.alloc(51, 'x')]);
    expect(new HpackDecoder(4096, 84).decode(literal)).toHaveLength(1);
    const longer = Buffer.concat([Buffer.from([0x00, 0x01, 0x61, 0x34]), Buffer.alloc(52, 'x')]);
    expect(() => new HpackDecoder(4096, 84).decode(longer)).toThrow(
      new HpackError('header list larger than 84 octets')
    );
  });

  it('HPACK bomb: a 4,000-octet entry indexed 1,000 times', () => {
    const bomb = new HpackDecoder(4096, 65536);
    // Literal with indexing, new name 'x', a 3,999-octet value: 4,000 octets of strings, 4,032 of entry.
    bomb.decode(Buffer.concat([hex('4001 78 7fa0 1e'), Buffer.alloc(3999, 'b')]));
    expect(bomb.dynamicTableSize).toBe(4032);
    expect(() => bomb.decode(Buffer.alloc(1000, 0x80 | 62))).toThrow(
      new HpackError('header list larger than 65536 octets')
    );
    // 16 references (64,512 octets) are within the bound.
    expect(bomb.decode(Buffer.alloc(16, 0x80 | 62))).toHaveLength(16);
  });
});

describe('encodeHeaderBlock', () => {
  it('indexes a static entry that matches name and value', () => {
    expect(encodeHeaderBlock([[':status', '200']])).toEqual(Buffer.from([0x88]));
    expect(encodeHeaderBlock([['accept-encoding', 'gzip, deflate']])).toEqual(Buffer.from([0x80 | 16]));
  });

  it("names a static entry's name in a literal without indexing", () => {
    // content-type is static index 31: 0000 1111 then 31 - 15 = 16; then the value, 22 octets, no Huffman.
    expect(encodeHeaderBlock([['content-type', 'application/grpc+proto']])).toEqual(
      Buffer.concat([Buffer.from([0x0f, 0x10, 0x16]), Buffer.from('application/grpc+proto')])
    );
    // :status with another value: index 8 fits the 4-bit prefix.
    expect(encodeHeaderBlock([[':status', '503']])).toEqual(Buffer.from([0x08, 0x03, 0x35, 0x30, 0x33]));
  });

  it('writes a new name as a literal', () => {
    expect(encodeHeaderBlock([['grpc-status', '0']])).toEqual(
      Buffer.concat([Buffer.from([0x00, 0x0b]), Buffer.from('grpc-status'), Buffer.from([0x01, 0x30])])
    );
  });

  it('encodes nothing as an empty block', () => {
    expect(encodeHeaderBlock([])).toEqual(Buffer.alloc(0));
  });

  it('leaves decoders with any table state unchanged', () => {
    const decoder = new HpackDecoder(4096, LIMIT);
    decoder.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')); // C.3.1: one dynamic entry.
    const fields: HeaderField[] = [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '0'],
    ];
    expect(decoder.decode(encodeHeaderBlock(fields))).toEqual(fields);
    expect(decoder.dynamicTableSize).toBe(57);
  });

  const staticField = fc.constantFrom(...STATIC_TABLE).map(([name, value]): HeaderField => [name, value]);
  const staticName = fc
    .tuple(fc.constantFrom(...STATIC_TABLE), fc.string({ unit: 'binary-ascii', maxLength: 40 }))
    .map(([[name], value]): HeaderField => [name, value]);
  const latin1 = (maxLength: number): fc.Arbitrary<string> =>
    fc.uint8Array({ maxLength }).map((octets) => Buffer.from(octets).toString('latin1'));
  const newName = fc.tuple(latin1(30), latin1(300)).map(([name, value]): HeaderField => [name, value]);

  it('round-trips random lists through HpackDecoder', () => {
    const decoder = new HpackDecoder(4096, 1 << 24);
    fc.assert(
      fc.property(fc.array(fc.oneof(staticField, staticName, newName), { maxLength: 20 }), (fields) => {
        expect(decoder.decode(encodeHeaderBlock(fields))).toEqual(fields);
      }),
      { seed: 7541, numRuns: 2000 }
    );
    expect(decoder.dynamicTableSize).toBe(0);
  });

  it('encodes blocks larger than its first scratch buffer, and long lengths', () => {
    const fields: HeaderField[] = [
      ['x-big', 'y'.repeat(70000)],
      ['content-type', 'z'.repeat(200)],
      [':status', '200'],
    ];
    const block = encodeHeaderBlock(fields);
    expect(new HpackDecoder(4096, 1 << 24).decode(block)).toEqual(fields);
    // The next block is independent of this one's octets.
    const small = encodeHeaderBlock([[':status', '200']]);
    expect(small).toEqual(Buffer.from([0x88]));
    expect(block[block.length - 1]).toBe(0x88);
  });
});
