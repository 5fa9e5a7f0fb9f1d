import { isUtf8 } from 'node:buffer';

/**
 * Cuts a byte stream into the texts the parser reads: one per line, or one per pretty-printed JSON object
 * spread over several lines (LiteLLM's stdout print of StandardLoggingPayload). Keeps byte offsets and line
 * numbers exact, holds a partial last line until its newline arrives, and bounds memory: a line longer than
 * `maxBytes` is skipped (reported as too long) without ever being held whole.
 *
 * What comes out depends only on the bytes, never on how they were cut into chunks (framer.test.ts checks
 * this over arbitrary chunkings), and `readOffset` is the only read position of a followed file.
 */

export interface FramedText {
  /** The text to parse; empty when `tooLong`. */
  text: string;
  /** 1-based number of the text's first line in its file. */
  line: number;
  /** Byte offset of the text's first byte. */
  startOffset: number;
  /** Byte offset just past the text's last newline: where reading resumes after it. */
  endOffset: number;
  tooLong: boolean;
  /**
   * Byte offset in the file of the text's first byte that is not valid UTF-8, when it has one. Such a text
   * is refused whole: decoding it would turn distinct byte strings (two users' names) into the same U+FFFD.
   */
  invalidUtf8At?: number;
  /**
   * Why the text is not a record of its file's container log format (`container: cri | docker`): the whole
   * record is refused with this message (see containerLog.ts).
   */
  wrapperError?: string;
}

/**
 * What a followed file's bytes go through: the Framer below, or the container log unwrapper (containerLog.ts),
 * which keeps the same promises: offsets of the raw file, a resume point before anything not handed over.
 */
export interface TextFramer {
  readonly readOffset: number;
  readonly resumeOffset: number;
  readonly resumeLine: number;
  readonly heldBytes: number;
  push(chunk: Buffer, out: FramedText[]): void;
  finish(out: FramedText[], acceptPartial?: (text: string) => boolean): void;
  takeUnterminated(out: FramedText[]): boolean;
}

const NEWLINE = 10;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A pretty-printed object being gathered, line by line, until its braces balance. */
interface Gathered {
  lines: string[];
  bytes: number;
  startOffset: number;
  line: number;
  /** Indentation of its opening `{` line: a later line indented no deeper, other than a closing bracket, is not part of it. */
  indent: number;
  depth: number;
  inString: boolean;
  escaped: boolean;
  invalidUtf8At: number | undefined;
}

export class Framer implements TextFramer {
  private partial: Buffer[] = [];
  /** Bytes of the current line read so far (counted, not held, while it is skipped as too long). */
  private partialBytes = 0;
  /** Offset and line number of the current line's first byte: everything before it is framed. */
  private lineStart: number;
  private lineNo: number;
  private object: Gathered | undefined;
  /** Set while a too-long line (or an object grown too long) is skipped until its newline: where its reject starts. */
  private skipping: { startOffset: number; line: number } | undefined;

  constructor(
    startOffset: number,
    startLine: number,
    private readonly maxBytes: number,
    /** Every line is a text of its own: no pretty-printed objects (a container log's records, one per line). */
    private readonly linesOnly = false
  ) {
    this.lineStart = startOffset;
    this.lineNo = startLine;
  }

  /** Offset of the next byte to push: bytes before it have been handed over, framed or held. */
  get readOffset(): number {
    return this.lineStart + this.partialBytes;
  }

  /** Where a restart must resume so that nothing unemitted is lost: start of the held line, object or skipped line. */
  get resumeOffset(): number {
    return this.skipping?.startOffset ?? this.object?.startOffset ?? this.lineStart;
  }

  get resumeLine(): number {
    return this.skipping?.line ?? this.object?.line ?? this.lineNo;
  }

  /** Bytes held back (partial line, unfinished object, line being skipped): they are read again after a restart. */
  get heldBytes(): number {
    return this.readOffset - this.resumeOffset;
  }

  push(chunk: Buffer, out: FramedText[]): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl === -1) {
        this.hold(chunk.subarray(pos), out);
        return;
      }
      const piece = chunk.subarray(pos, nl);
      pos = nl + 1;
      if (!this.skipping && this.partialBytes + piece.length > this.maxBytes) {
        this.partial.push(piece);
        this.startSkipping(out);
      }
      if (this.skipping) {
        this.partialBytes += piece.length;
        this.endSkipped(this.partialBytes + 1, out);
        continue;
      }
      const bytes = this.partialBytes + piece.length;
      const line = this.partialBytes ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.partialBytes = 0;
      this.takeLine(line, bytes + 1, out);
    }
  }

  /**
   * The stream has ended for good (stdin closed, a rotated file drained, a one-shot file read to its end):
   * a held partial line is a complete last line (unless `acceptPartial` refuses it: then it stays held), and an
   * unfinished object is emitted for the parser to reject.
   */
  finish(out: FramedText[], acceptPartial: (text: string) => boolean = () => true): void {
    if (this.skipping) {
      this.endSkipped(this.partialBytes, out);
    } else if (this.partialBytes) {
      if (!acceptPartial(this.unterminatedText())) return;
      this.takeUnterminatedLine(out);
    }
    if (this.object) this.emitUnfinished(out);
  }

  /**
   * The writer has stopped on a last line without a newline (an object file written in one go, as LiteLLM's
   * S3/GCS logger writes them): that line is taken now if it is a whole JSON text (with the pretty-printed
   * object it closes, if any). Otherwise nothing changes: it stays held, and the caller says so. Returns
   * whether it was taken.
   */
  takeUnterminated(out: FramedText[]): boolean {
    if (this.skipping || !this.partialBytes || !isJsonText(this.unterminatedText())) return false;
    this.takeUnterminatedLine(out);
    return true;
  }

  /** The text that taking the held partial line would emit: the line, or the object it continues with it. */
  private unterminatedText(): string {
    const body = this.body(Buffer.concat(this.partial), this.lineStart);
    const o = this.object;
    const line = body.toString('utf8');
    return o && continuesObject(o, body) ? [...o.lines, line].join('\n') : line;
  }

  /**
   * Takes the held partial line as a line. It is not counted as ended: bytes appended to the file later
   * continue the same line of the file, so a newline written first only ends it (a blank rest, ignored)
   * and the lines after it keep their true numbers.
   */
  private takeUnterminatedLine(out: FramedText[]): void {
    const line = Buffer.concat(this.partial);
    const bytes = this.partialBytes;
    this.partial = [];
    this.partialBytes = 0;
    this.takeLine(line, bytes, out, false);
  }

  private hold(rest: Buffer, out: FramedText[]): void {
    if (!this.skipping) {
      this.partial.push(Buffer.from(rest)); // copy: the reader reuses its chunk buffer
      if (this.partialBytes + rest.length > this.maxBytes) this.startSkipping(out);
    }
    this.partialBytes += rest.length;
  }

  /**
   * The current line is longer than `maxBytes` (its first bytes are in `partial`): stop holding it. If it
   * continues an object being gathered, the object is too long and skipped with it; otherwise the object
   * ended unfinished before this line. Decided on the line's first `maxBytes + 1` bytes only, so the
   * outcome does not depend on where the chunks were cut.
   */
  private startSkipping(out: FramedText[]): void {
    const head = this.body(Buffer.concat(this.partial), this.lineStart).subarray(0, this.maxBytes + 1);
    const o = this.object;
    if (o && continuesObject(o, head)) {
      this.object = undefined;
      this.skipping = { startOffset: o.startOffset, line: o.line };
    } else {
      if (o) this.emitUnfinished(out);
      this.skipping = { startOffset: this.lineStart, line: this.lineNo };
    }
    this.partial = [];
  }

  /** The skipped line ends after `lineBytes` (its newline included, if any): one reject for all of it. */
  private endSkipped(lineBytes: number, out: FramedText[]): void {
    const { startOffset, line } = this.skipping!;
    this.skipping = undefined;
    this.partialBytes = 0;
    this.endLine(lineBytes);
    out.push({ text: '', line, startOffset, endOffset: this.lineStart, tooLong: true });
  }

  private endLine(bytes: number, terminated = true): void {
    this.lineStart += bytes;
    if (terminated) this.lineNo += 1;
  }

  /** A UTF-8 byte order mark at the very start of the file is not part of its first line. */
  private body(line: Buffer, startOffset: number): Buffer {
    return startOffset === 0 && line.subarray(0, 3).equals(UTF8_BOM) ? line.subarray(3) : line;
  }

  /** An object that will not be completed (a record cut short): emitted as it is, for the parser to reject. */
  private emitUnfinished(out: FramedText[], endOffset = this.lineStart): void {
    const o = this.object!;
    this.object = undefined;
    out.push({
      text: o.lines.join('\n'),
      line: o.line,
      startOffset: o.startOffset,
      endOffset,
      tooLong: false,
      ...invalidAt(o.invalidUtf8At),
    });
  }

  private takeLine(raw: Buffer, bytes: number, out: FramedText[], terminated = true): void {
    const startOffset = this.lineStart;
    const lineNo = this.lineNo;
    this.endLine(bytes, terminated);
    const body = this.body(raw, startOffset);
    const invalidUtf8At = isUtf8(body) ? undefined : startOffset + (raw.length - body.length) + firstInvalidUtf8(body);
    const line = body.toString('utf8');
    const o = this.object;
    if (o && continuesObject(o, body)) {
      o.lines.push(line);
      o.bytes += bytes;
      o.invalidUtf8At ??= invalidUtf8At;
      scanDepth(o, line);
      if (o.depth <= 0) {
        this.object = undefined;
        out.push({
          text: o.lines.join('\n'),
          line: o.line,
          startOffset: o.startOffset,
          endOffset: this.lineStart,
          tooLong: false,
          ...invalidAt(o.invalidUtf8At),
        });
      } else if (o.bytes > this.maxBytes) {
        this.object = undefined;
        out.push({ text: '', line: o.line, startOffset: o.startOffset, endOffset: this.lineStart, tooLong: true });
      }
      return;
    }
    // A line that does not continue the object starts a new text: the object was cut short, and costs only itself.
    if (o) this.emitUnfinished(out, startOffset);
    const trimmed = line.trim();
    if (trimmed === '{' && !this.linesOnly) {
      this.object = {
        lines: [line],
        bytes,
        startOffset,
        line: lineNo,
        indent: indentOf(body),
        depth: 1,
        inString: false,
        escaped: false,
        invalidUtf8At,
      };
      return;
    }
    if (trimmed === '') return; // blank lines carry nothing
    out.push({
      text: line,
      line: lineNo,
      startOffset,
      endOffset: this.lineStart,
      tooLong: false,
      ...invalidAt(invalidUtf8At),
    });
  }
}

/** Whether `text` is one whole JSON text (a line cut short by a writer still writing is not). */
export function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Spread into a FramedText: the field is present only when there is an invalid byte. */
function invalidAt(offset: number | undefined): { invalidUtf8At?: number } {
  return offset === undefined ? {} : { invalidUtf8At: offset };
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;

function indentOf(line: Buffer): number {
  let i = 0;
  while (i < line.length && (line[i] === SPACE || line[i] === TAB)) i++;
  return i;
}

/**
 * Whether a line belongs to the object being gathered. A pretty-printer indents every line inside an
 * object deeper than its opening brace and puts the closing bracket at the brace's indentation; blank lines
 * carry nothing either way. Any other line (a JSON line, a log line, another object's `{`) is a new text.
 */
function continuesObject(o: Gathered, line: Buffer): boolean {
  const indent = indentOf(line);
  if (indent > o.indent || indent === line.length) return true;
  const first = line[indent];
  return first === 0x7d /* } */ || first === 0x5d /* ] */ || first === CR;
}

/** Tracks brace depth across lines, ignoring braces inside JSON strings. */
function scanDepth(o: Gathered, line: string): void {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (o.inString) {
      if (o.escaped) o.escaped = false;
      else if (c === 92 /* \ */) o.escaped = true;
      else if (c === 34 /* " */) o.inString = false;
    } else if (c === 34) o.inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) o.depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) o.depth--;
  }
}

/**
 * Index of the first byte of `buf` that does not start a well-formed UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). Only called once `isUtf8` has said there is one.
 */
export function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) n = 0;
    else if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return buf.length;
}
