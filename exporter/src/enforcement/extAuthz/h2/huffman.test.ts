import fc from 'fast-check';
import { HpackError } from './hpackError';
import { HUFFMAN_CODES, HUFFMAN_EOS_CODE, HUFFMAN_EOS_LENGTH, HUFFMAN_LENGTHS, huffmanDecode } from './huffman';

/** Test-only Huffman encoder from the same table (RFC 7541 section 5.2): codes MSB first, padded with EOS's 1s. */
function huffmanEncode(octets: Uint8Array): Buffer {
  const out: number[] = [];
  let bits = 0;
  let pending = 0;
  const push = (code: number, length: number): void => {
    for (let i = length - 1; i >= 0; i--) {
      pending = (pending << 1) | ((code >>> i) & 1);
      if (++bits === 8) {
        out.push(pending);
        bits = 0;
        pending = 0;
      }
    }
  };
  for (const octet of octets) push(HUFFMAN_CODES[octet], HUFFMAN_LENGTHS[octet]);
  if (bits > 0) push(HUFFMAN_EOS_CODE, 8 - bits);
  return Buffer.from(out);
}

function decodeAll(bytes: Buffer): string {
  return huffmanDecode(bytes, 0, bytes.length);
}

describe('huffmanDecode', () => {
  // Every Huffman string of RFC 7541 Appendix C.4 and C.6.
  const rfcStrings: Array<[hex: string, text: string]> = [
    ['f1e3c2e5f23a6ba0ab90f4ff', 'www.example.com'],
    ['a8eb10649cbf', 'no-cache'],
    ['25a849e95ba97d7f', 'custom-key'],
    ['25a849e95bb8e8b4bf', 'custom-value'],
    ['6402', '302'],
    ['aec3771a4b', 'private'],
    ['d07abe941054d444a8200595040b8166e082a62d1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['9d29ad171863c78f0b97c8e9ae82ae43d3', 'https://www.example.com'],
    ['640eff', '307'],
    ['d07abe941054d444a8200595040b8166e084a62d1bff', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ['9bd9ab', 'gzip'],
    [
      '94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
      'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    ],
  ];

  it.each(rfcStrings)('decodes RFC 7541 Appendix C string %s', (hex, text) => {
    expect(decodeAll(Buffer.from(hex, 'hex'))).toBe(text);
  });

  it.each(rfcStrings)('the test encoder reproduces RFC 7541 Appendix C string %s', (hex, text) => {
    expect(huffmanEncode(Buffer.from(text, 'latin1')).toString('hex')).toBe(hex);
  });

  it('decodes only bytes[start..end)', () => {
    const bytes = Buffer.concat([Buffer.from([0x00, 0xff]), Buffer.from('9bd9ab', 'hex'), Buffer.from([0x00])]);
    expect(huffmanDecode(bytes, 2, 5)).toBe('gzip');
    expect(huffmanDecode(bytes, 2, 2)).toBe('');
  });

  it('decodes every octet 0..255, alone and all in a row', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (let octet = 0; octet < 256; octet++) {
      expect(decodeAll(huffmanEncode(Buffer.from([octet])))).toBe(String.fromCharCode(octet));
    }
    expect(decodeAll(huffmanEncode(all))).toBe(all.toString('latin1'));
  });

  it('decodes what the table encodes, for random octet strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (octets) => {
        expect(decodeAll(huffmanEncode(octets))).toBe(Buffer.from(octets).toString('latin1'));
      }),
      { seed: 7541, numRuns: 3000 }
    );
  });

  it('decodes strings longer than its first scratch buffer', () => {
    const long = Buffer.alloc(5000, 'x');
    expect(decodeAll(huffmanEncode(long))).toBe(long.toString('latin1'));
  });

  it('accepts up to 7 bits of padding', () => {
    // '0' is 00000 (5 bits): 3 padding bits; 'a' is 00011 then '0' 00000 -> 10 bits, 6 padding bits.
    expect(decodeAll(Buffer.from([0x07]))).toBe('0');
    expect(decodeAll(Buffer.from([0x18, 0x3f]))).toBe('a0');
  });

  it('refuses padding longer than 7 bits', () => {
    // '0' (00000) then 3 + 8 padding 1s.
    expect(() => decodeAll(Buffer.from([0x07, 0xff]))).toThrow(new HpackError('Huffman padding longer than 7 bits'));
    expect(() => decodeAll(Buffer.from([0xff]))).toThrow(new HpackError('Huffman padding longer than 7 bits'));
  });

  it('refuses padding that is not all 1s', () => {
    // '0' (00000) then 011: not a prefix of EOS.
    expect(() => decodeAll(Buffer.from([0x03]))).toThrow(new HpackError('Huffman padding is not a prefix of EOS'));
    // A code cut short: the first octet of '\0' (1111111111000, 13 bits).
    expect(() => decodeAll(Buffer.from([0xff, 0xc0]))).toThrow(
      new HpackError('Huffman padding is not a prefix of EOS')
    );
  });

  it('refuses EOS in the string', () => {
    // EOS (30 1s) then 2 padding 1s; and 'a' then EOS then padding.
    expect(() => decodeAll(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(
      new HpackError('Huffman string contains EOS')
    );
    const afterSymbol = Buffer.from([0x1f, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeAll(afterSymbol)).toThrow(new HpackError('Huffman string contains EOS'));
  });

  it('throws HpackError, the class a connection maps to COMPRESSION_ERROR', () => {
    expect(() => decodeAll(Buffer.from([0xff]))).toThrow(HpackError);
  });

  it('has a complete code (Kraft sum 1), as in RFC 7541 Appendix B', () => {
    expect(HUFFMAN_CODES).toHaveLength(256);
    expect(HUFFMAN_LENGTHS).toHaveLength(256);
    let kraft = 2 ** -HUFFMAN_EOS_LENGTH;
    for (let s = 0; s < 256; s++) kraft += 2 ** -HUFFMAN_LENGTHS[s];
    expect(kraft).toBe(1);
  });
});
