import { isUtf8 } from 'node:buffer';

/**
 * The protobuf wire format (protobuf.dev/programming-guides/encoding) as far as the gRPC door reads and writes it:
 * varints, length-delimited fields, and skipping any field it does not read. Strings are read as flat strings in
 * one native call; protobuf.js 8 reads a short string by appending 8 characters at a time, which left each request
 * id a chain of strings, kept with its reservation past young-generation collections (bench/README.md, "Decisions").
 */

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** Malformed wire data: the door answers INTERNAL with this message, as grpc-js did for protobuf.js's errors. */
export class ProtoError extends Error {}

/**
 * Buffer's own UTF-8 slice and write: what toString('utf8', ...) and write(..., 'utf8') end in, without their
 * argument checks (protobuf.js calls them too).
 */
type Utf8Native = Buffer & {
  utf8Slice(start: number, end: number): string;
  utf8Write(text: string, offset: number, length: number): number;
};

/**
 * Reads the fields of one message in `buf`, nested ones included: `enter` bounds the reads to a length-delimited
 * field's contents, so a field cannot run past the end of the message holding it, and `leave` returns to the
 * enclosing one. One reader a message, no object a field.
 */
export class ProtoReader {
  pos = 0;
  end: number;

  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** Whether the message entered last (or the whole buffer) has been read to its end. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint of at most 32 bits (tags, lengths): a larger one is an error where the door expects these. */
  uint32(): number {
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80 && this.pos < this.end) {
      this.pos++;
      return first;
    }
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw new ProtoError('a varint runs past the end of its message');
      const byte = this.buf[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (value > 0xffffffff) break;
        return value;
      }
    }
    throw new ProtoError('a varint over 32 bits where a length or tag was expected');
  }

  /** A field's tag: its number (1 or more) times 8 plus its wire type. */
  tag(): number {
    const tag = this.uint32();
    if (tag >>> 3 === 0) throw new ProtoError('a field numbered 0');
    return tag;
  }

  /** Enters the length-delimited field whose tag was just read; returns the enclosing end, for `leave`. */
  enter(): number {
    const length = this.uint32();
    if (length > this.end - this.pos)
      throw new ProtoError(`a field of ${length} bytes runs past the end of its message`);
    const outer = this.end;
    this.end = this.pos + length;
    return outer;
  }

  /** Moves past the field entered last, back into the message holding it. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /** A length-delimited field's contents, not copied. */
  bytes(): Buffer {
    const outer = this.enter();
    const bytes = this.buf.subarray(this.pos, this.end);
    this.leave(outer);
    return bytes;
  }

  /** A string field: valid UTF-8 (proto3; protobuf.js refused other bytes too), else a ProtoError. */
  string(): string {
    const outer = this.enter();
    // A flat string in one native call. Invalid bytes come out as U+FFFD: only then is the field checked.
    const text = (this.buf as Utf8Native).utf8Slice(this.pos, this.end);
    if (text.includes('\uFFFD') && !isUtf8(this.buf.subarray(this.pos, this.end)))
      throw new ProtoError('a string field is not valid UTF-8');
    this.leave(outer);
    return text;
  }

  /** Skips the field whose tag was just read (a group to its end-group tag). */
  skip(tag: number): void {
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (wireType) {
      case WireType.VARINT:
        for (let i = 0; ; i++) {
          if (i === 10) throw new ProtoError('a varint longer than 10 bytes');
          if (this.pos >= this.end) throw new ProtoError('a varint runs past the end of its message');
          if (this.buf[this.pos++]! < 0x80) return;
        }
      case WireType.I64:
        return this.advance(8);
      case WireType.LEN:
        return this.leave(this.enter());
      case WireType.I32:
        return this.advance(4);
      case WireType.SGROUP:
        for (;;) {
          const inner = this.tag();
          if ((inner & 7) === WireType.EGROUP) {
            if (inner >>> 3 !== field)
              throw new ProtoError(`group ${field} ends with the end-group tag of ${inner >>> 3}`);
            return;
          }
          this.skip(inner);
        }
      default:
        throw new ProtoError(`invalid wire type ${wireType} (field ${field})`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new ProtoError('a fixed-size field runs past the end of its message');
    this.pos += n;
  }
}

/** Encoded size of a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Encoded size of a length-delimited field of `length` bytes with a tag of one byte (fields 1 to 15). */
export const lenFieldSize = (length: number): number => 1 + varintSize(length) + length;

/** Writes fields into a buffer sized beforehand (the caller adds up the sizes above). */
export class ProtoWriter {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  /** The tag of a field of number 1 to 15. */
  tag(field: number, wireType: number): void {
    this.buf[this.pos++] = (field << 3) | wireType;
  }

  /** A length-delimited field's tag and length; its `length` bytes of contents are written next. */
  lenHeader(field: number, length: number): void {
    this.tag(field, WireType.LEN);
    this.varint(length);
  }

  /** A string field whose UTF-8 length the caller measured. */
  string(field: number, value: string, byteLength: number): void {
    this.lenHeader(field, byteLength);
    this.pos += (this.buf as Utf8Native).utf8Write(value, this.pos, byteLength);
  }
}
