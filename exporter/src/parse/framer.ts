/**
 * Cuts a byte stream into the texts the parser reads: one per line, or one per pretty-printed JSON object
 * spread over several lines (LiteLLM's stdout print of StandardLoggingPayload). Keeps byte offsets and line
 * numbers exact, holds a partial last line until its newline arrives, and bounds memory: a line longer than
 * `maxBytes` is skipped (reported as too long) without ever being held whole.
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
}

const NEWLINE = 10;

export class Framer {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Offset and line of the first byte not yet part of an emitted text. */
  private lineStart: number;
  private lineNo: number;
  private discarding = false;
  /** A pretty-printed object being gathered: its lines, start, and brace depth. */
  private object: { lines: string[]; bytes: number; startOffset: number; line: number; depth: number; inString: boolean; escaped: boolean } | undefined;

  constructor(
    startOffset: number,
    startLine: number,
    private readonly maxBytes: number,
  ) {
    this.lineStart = startOffset;
    this.lineNo = startLine;
  }

  /** Where a restart must resume so that nothing unemitted is lost: start of the held partial line or object. */
  get resumeOffset(): number {
    return this.object ? this.object.startOffset : this.lineStart;
  }

  get resumeLine(): number {
    return this.object ? this.object.line : this.lineNo;
  }

  /** Bytes held back (partial line, unfinished object): they are read again after a restart. */
  get heldBytes(): number {
    return this.partialBytes + (this.object ? this.object.bytes : 0);
  }

  push(chunk: Buffer, out: FramedText[]): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl === -1) {
        this.hold(chunk.subarray(pos));
        return;
      }
      const piece = chunk.subarray(pos, nl);
      pos = nl + 1;
      if (this.discarding) {
        this.endLine(piece.length + 1);
        continue;
      }
      const bytes = this.partialBytes + piece.length;
      if (bytes > this.maxBytes) {
        this.emitTooLong(bytes + 1, out);
        continue;
      }
      const line = this.partialBytes ? Buffer.concat([...this.partial, piece]).toString('utf8') : piece.toString('utf8');
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
    if (this.discarding) {
      this.emitTooLong(this.partialBytes, out);
    } else if (this.partialBytes) {
      const line = Buffer.concat(this.partial).toString('utf8');
      if (!acceptPartial(line)) return;
      const bytes = this.partialBytes;
      this.partial = [];
      this.partialBytes = 0;
      this.takeLine(line, bytes, out);
    }
    if (this.object) {
      const o = this.object;
      this.object = undefined;
      out.push({ text: o.lines.join('\n'), line: o.line, startOffset: o.startOffset, endOffset: this.lineStart, tooLong: false });
    }
  }

  private hold(rest: Buffer): void {
    if (this.discarding) {
      this.partialBytes += rest.length;
      return;
    }
    this.partialBytes += rest.length;
    if (this.partialBytes > this.maxBytes) {
      // Too long already: stop holding it, count its bytes until the newline comes.
      this.partial = [];
      this.discarding = true;
      return;
    }
    this.partial.push(Buffer.from(rest)); // copy: the reader reuses its chunk buffer
  }

  private emitTooLong(totalBytes: number, out: FramedText[]): void {
    const startOffset = this.lineStart;
    const line = this.lineNo;
    this.partial = [];
    this.partialBytes = 0;
    this.discarding = false;
    this.endLine(totalBytes);
    out.push({ text: '', line, startOffset, endOffset: this.lineStart, tooLong: true });
  }

  private endLine(bytes: number): void {
    this.lineStart += bytes;
    this.lineNo += 1;
  }

  private takeLine(line: string, bytes: number, out: FramedText[]): void {
    const startOffset = this.lineStart;
    const lineNo = this.lineNo;
    this.endLine(bytes);
    const o = this.object;
    if (o) {
      o.lines.push(line);
      o.bytes += bytes;
      this.scanDepth(line);
      if (o.depth === 0) {
        this.object = undefined;
        out.push({ text: o.lines.join('\n'), line: o.line, startOffset: o.startOffset, endOffset: this.lineStart, tooLong: false });
      } else if (o.bytes > this.maxBytes) {
        this.object = undefined;
        out.push({ text: '', line: o.line, startOffset: o.startOffset, endOffset: this.lineStart, tooLong: true });
      }
      return;
    }
    const trimmed = line.trim();
    if (trimmed === '{') {
      this.object = { lines: [line], bytes, startOffset, line: lineNo, depth: 1, inString: false, escaped: false };
      return;
    }
    if (trimmed === '') return; // blank lines carry nothing
    out.push({ text: line, line: lineNo, startOffset, endOffset: this.lineStart, tooLong: false });
  }

  /** Tracks brace depth across lines, ignoring braces inside JSON strings. */
  private scanDepth(line: string): void {
    const o = this.object!;
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
}
