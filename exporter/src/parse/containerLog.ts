import { Framer, FramedText, TextFramer } from './framer';

/**
 * Container log files (/var/log/containers/*.log, /var/lib/docker/containers/<id>/<id>-json.log): each line
 * the container wrote to stdout or stderr is wrapped in a record of the runtime's format, and a long line is
 * split over several records. Two formats exist:
 *
 * - CRI (containerd, CRI-O): `<RFC3339Nano time> <stdout|stderr> <tags> <text>`, where the first of the
 *   `:`-separated tags is `P` for a part of a line and `F` for the part that ends it. Parsed as kubelet parses
 *   it: kubernetes/kubernetes pkg/kubelet/kuberuntime/logs/logs.go, parseCRILog (tag `P` means partial,
 *   anything else full, "kept forward compatible"); the format is the CRI logging proposal
 *   (kubernetes/design-proposals-archive node/kubelet-cri-logging.md).
 * - Docker json-file: `{"log":"<text>\n","stream":"stdout","time":"..."}`; a line longer than the runtime's
 *   buffer is written as several entries, only the last of which ends in `\n` (moby
 *   daemon/logger/jsonfilelog/jsonfilelog.go, marshalMessage: the `\n` is appended only when the message is
 *   not partial or is the last part).
 *
 * The unwrapper joins the parts of each line, per stream, and frames the joined lines like a plain file's
 * (LiteLLM's pretty-printed payloads included: each of their lines is a record of its own). Every text it
 * hands over carries the offsets and line numbers of the raw file, and its resume point is never after a byte
 * of a record not handed over whole: a line split over records is never half-committed.
 */

export const CONTAINER_MODES = ['auto', 'cri', 'docker', 'none'] as const;
export type ContainerMode = (typeof CONTAINER_MODES)[number];
type Wrapper = 'cri' | 'docker';

/** One record: a line, or a part of one, that the container wrote to one of its streams. */
export interface ContainerRecord {
  stream: string;
  content: string;
  /** Whether it ends its line (CRI tag F, Docker `log` ending in \n). */
  final: boolean;
}

/** kubelet's RFC3339NanoLenient: up to nine fraction digits, Z or a numeric offset. */
const CRI_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const CRI_SHAPE = '<RFC3339 time> <stdout|stderr> <P|F> <text>';

/** A CRI record, or why the line is not one. */
export function unwrapCri(line: string): ContainerRecord | string {
  const afterTime = line.indexOf(' ');
  if (afterTime < 0 || !CRI_TIME.test(line.slice(0, afterTime)))
    return `not a CRI log record (${CRI_SHAPE}): it does not start with an RFC 3339 time`;
  const afterStream = line.indexOf(' ', afterTime + 1);
  const stream = afterStream < 0 ? line.slice(afterTime + 1) : line.slice(afterTime + 1, afterStream);
  if (stream !== 'stdout' && stream !== 'stderr')
    return `not a CRI log record (${CRI_SHAPE}): stream ${JSON.stringify(stream.slice(0, 20))} is not stdout or stderr`;
  // A record that ends after its stream has no tag, as kubelet says ("log tag is not found"): not a line "stdout".
  if (afterStream < 0) return `not a CRI log record (${CRI_SHAPE}): no P or F tag`;
  let afterTags = line.indexOf(' ', afterStream + 1);
  if (afterTags < 0) afterTags = line.length; // an empty line whose writer left out the space after the tag
  const tags = line.slice(afterStream + 1, afterTags);
  if (!tags) return `not a CRI log record (${CRI_SHAPE}): no P or F tag`;
  return { stream, content: line.slice(afterTags + 1), final: tags.split(':')[0] !== 'P' };
}

const DOCKER_SHAPE = '{"log": "...", "stream": "stdout|stderr", "time": "..."}';

/** A Docker json-file record, or why the line is not one. */
export function unwrapDocker(line: string): ContainerRecord | string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return `not a Docker json-file log record (${DOCKER_SHAPE}): not JSON`;
  }
  const { log, stream } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  // moby writes `log` with omitempty: an empty part has none.
  if ((log !== undefined && typeof log !== 'string') || (stream !== 'stdout' && stream !== 'stderr'))
    return `not a Docker json-file log record (${DOCKER_SHAPE})`;
  const text = log ?? '';
  const final = text.endsWith('\n');
  return { stream, content: final ? text.slice(0, -1) : text, final };
}

const UNWRAP: Record<Wrapper, (line: string) => ContainerRecord | string> = { cri: unwrapCri, docker: unwrapDocker };

/** How much of a file's first line `auto` looks at: the wrapper's fields come first. */
export const DETECT_BYTES = 256;

/**
 * The wrapper a file's first line says it is in, as kubelet decides it once per file from its first line
 * (logs.go, getParseFunc). `head` is the file's first DETECT_BYTES bytes or its first line, whichever is
 * shorter. Docker's entries start with `{"log":` (`{"stream":` when the log is empty: moby's
 * jsonlog.JSONLogs.MarshalJSONBuf writes log, stream, attrs, time in that order); no gateway's usage line does.
 */
export function detectWrapper(head: Buffer): Wrapper | 'none' {
  const nl = head.indexOf(10);
  const first = head.subarray(0, Math.min(nl < 0 ? head.length : nl, DETECT_BYTES)).toString('utf8');
  if (/^\{"(?:log|stream)":/.test(first)) return 'docker';
  const cri = /^(\S+) (?:stdout|stderr) [^ ]+(?: |$)/.exec(first);
  return cri && CRI_TIME.test(cri[1]!) ? 'cri' : 'none';
}

/**
 * The framer of a file read from `startOffset`. With `auto`, a file read from its start is decided on when its
 * first line (or DETECT_BYTES of it) has been read; a file resumed further on is decided on `head`, its first
 * bytes (see detectWrapper): the decision is the same either way, one per file.
 */
export function containerFramer(
  mode: ContainerMode,
  startOffset: number,
  startLine: number,
  maxBytes: number,
  head?: Buffer
): TextFramer {
  if (mode === 'auto') {
    if (head) return framerOf(detectWrapper(head), startOffset, startLine, maxBytes);
    return new DetectingFramer(startOffset, startLine, maxBytes);
  }
  return framerOf(mode, startOffset, startLine, maxBytes);
}

function framerOf(kind: Wrapper | 'none', startOffset: number, startLine: number, maxBytes: number): TextFramer {
  return kind === 'none'
    ? new Framer(startOffset, startLine, maxBytes)
    : new UnwrappingFramer(UNWRAP[kind], startOffset, startLine, maxBytes);
}

/** Holds a file's first bytes until its first line says what it is, then hands everything to that framer. */
class DetectingFramer implements TextFramer {
  private head: Buffer = Buffer.alloc(0);
  private chosen: TextFramer | undefined;

  constructor(
    private readonly startOffset: number,
    private readonly startLine: number,
    private readonly maxBytes: number
  ) {}

  get readOffset(): number {
    return this.chosen?.readOffset ?? this.startOffset + this.head.length;
  }

  get resumeOffset(): number {
    return this.chosen?.resumeOffset ?? this.startOffset;
  }

  get resumeLine(): number {
    return this.chosen?.resumeLine ?? this.startLine;
  }

  get heldBytes(): number {
    return this.chosen?.heldBytes ?? this.head.length;
  }

  push(chunk: Buffer, out: FramedText[]): void {
    if (this.chosen) return this.chosen.push(chunk, out);
    this.head = Buffer.concat([this.head, chunk]); // a copy: the reader reuses its chunk buffer
    if (this.head.indexOf(10) >= 0 || this.head.length >= DETECT_BYTES) this.decide(out);
  }

  finish(out: FramedText[], acceptPartial?: (text: string) => boolean): void {
    this.decided(out).finish(out, acceptPartial);
  }

  takeUnterminated(out: FramedText[]): boolean {
    return this.decided(out).takeUnterminated(out);
  }

  private decided(out: FramedText[]): TextFramer {
    return this.chosen ?? this.decide(out);
  }

  private decide(out: FramedText[]): TextFramer {
    const chosen = framerOf(detectWrapper(this.head), this.startOffset, this.startLine, this.maxBytes);
    this.chosen = chosen;
    chosen.push(this.head, out);
    this.head = Buffer.alloc(0);
    return chosen;
  }
}

/** Room for a record's wrapper (time, stream, tags; Docker's keys and attrs) besides its text. */
const WRAPPER_BYTES = 4096;

/** A byte of the raw file and the number of its line. */
interface Place {
  offset: number;
  line: number;
}

/** A joined line as fed to a stream's framer: where it is in what was fed, and where its records are in the file. */
interface Span {
  fedStart: number;
  fedEnd: number;
  start: Place;
  rawEnd: number;
  invalidUtf8At: number | undefined;
}

/** The records of a line whose final record has not come yet. */
interface PendingLine {
  start: Place;
  rawEnd: number;
  parts: string[];
  bytes: number;
  /** Its parts add up to more than maxBytes: they are not kept, and the line is refused once it ends. */
  tooLong: boolean;
  invalidUtf8At: number | undefined;
}

/**
 * One stream's lines (stdout's or stderr's: the runtime interleaves their records in one file, and a line of
 * one can come between the lines of a pretty-printed object of the other). Parts are joined into lines, and
 * the lines framed by a Framer of their own, whose offsets (in the joined lines fed to it) are mapped back
 * to the raw file through the spans.
 */
class StreamLines {
  private pending: PendingLine | undefined;
  private readonly framer: Framer;
  private fed = 0;
  private spans: Span[] = [];

  constructor(private readonly maxBytes: number) {
    this.framer = new Framer(0, 1, maxBytes);
  }

  /** Its first byte not handed over yet: the start of the object its framer holds, else of its pending line. */
  held(): Place | undefined {
    if (this.framer.heldBytes > 0) return this.spans[this.spanFrom(this.framer.resumeOffset)]!.start;
    return this.pending?.start;
  }

  add(record: FramedText, r: ContainerRecord, out: FramedText[]): void {
    const p = (this.pending ??= {
      start: { offset: record.startOffset, line: record.line },
      rawEnd: record.endOffset,
      parts: [],
      bytes: 0,
      tooLong: false,
      invalidUtf8At: undefined,
    });
    p.rawEnd = record.endOffset;
    p.invalidUtf8At ??= record.invalidUtf8At;
    if (!p.tooLong) {
      p.bytes += Buffer.byteLength(r.content);
      p.tooLong = p.bytes > this.maxBytes;
      if (p.tooLong) p.parts = [];
      else p.parts.push(r.content);
    }
    if (r.final) this.endLine(out);
  }

  /**
   * The stream has ended (the file read to its end for good) or must hand over what it holds: its pending
   * line is taken as ended, and an object it holds is emitted as it is, for the parser to refuse.
   */
  end(out: FramedText[]): void {
    if (this.pending) this.endLine(out);
    this.flushObject(out);
  }

  /** An object it holds is emitted as it is (cut short); a pending line stays held. */
  flushObject(out: FramedText[]): void {
    const texts: FramedText[] = [];
    this.framer.finish(texts);
    this.mapBack(texts, out);
  }

  private endLine(out: FramedText[]): void {
    const p = this.pending!;
    this.pending = undefined;
    if (p.tooLong) {
      // Ends an object being gathered, as a too-long line does in a plain file.
      this.flushObject(out);
      out.push({ text: '', line: p.start.line, startOffset: p.start.offset, endOffset: p.rawEnd, tooLong: true });
      return;
    }
    const bytes = Buffer.from(`${p.parts.join('')}\n`);
    this.spans.push({
      fedStart: this.fed,
      fedEnd: this.fed + bytes.length,
      start: p.start,
      rawEnd: p.rawEnd,
      invalidUtf8At: p.invalidUtf8At,
    });
    this.fed += bytes.length;
    const texts: FramedText[] = [];
    this.framer.push(bytes, texts);
    this.mapBack(texts, out);
  }

  /** Texts of the stream's framer, with the raw file's offsets, lines and invalid bytes. */
  private mapBack(texts: FramedText[], out: FramedText[]): void {
    for (const t of texts) {
      const first = this.spanFrom(t.startOffset);
      const last = this.spanTo(t.endOffset);
      let invalidUtf8At: number | undefined;
      for (let i = first; i <= last && invalidUtf8At === undefined; i++) invalidUtf8At = this.spans[i]!.invalidUtf8At;
      out.push({
        text: t.text,
        line: this.spans[first]!.start.line,
        startOffset: this.spans[first]!.start.offset,
        endOffset: this.spans[last]!.rawEnd,
        tooLong: t.tooLong,
        ...(invalidUtf8At === undefined ? {} : { invalidUtf8At }),
      });
    }
    // What its framer has handed over is not needed any more.
    const keepFrom = this.spanFrom(this.framer.resumeOffset);
    if (keepFrom > 0) this.spans = this.spans.slice(keepFrom);
  }

  /** The span holding fed byte `offset` (the number of spans when it is past them all). */
  private spanFrom(offset: number): number {
    let i = 0;
    while (i < this.spans.length && this.spans[i]!.fedEnd <= offset) i++;
    return i;
  }

  /** The span whose end is at or after fed offset `offset`. */
  private spanTo(offset: number): number {
    let i = 0;
    while (i < this.spans.length - 1 && this.spans[i]!.fedEnd < offset) i++;
    return i;
  }
}

/**
 * A container log's framer: cuts the raw file into records (one per line), unwraps them, joins each stream's
 * parts into lines and frames them. A text is handed over only once nothing before its end is still held
 * (another stream's unfinished object or line): the resume point, the earliest held byte, is then never
 * inside a record already handed over, and a restart reads no record twice.
 */
class UnwrappingFramer implements TextFramer {
  private readonly raw: Framer;
  private readonly streams = new Map<string, StreamLines>();
  /** Texts complete but not handed over: each waits until nothing before its end is held. */
  private ready: FramedText[] = [];

  constructor(
    private readonly unwrap: (line: string) => ContainerRecord | string,
    startOffset: number,
    startLine: number,
    private readonly maxBytes: number
  ) {
    // A record is its text plus the wrapper, and JSON escapes (Docker) can double the text: maxBytes bounds
    // the joined text (StreamLines), this only bounds what is held of one record.
    this.raw = new Framer(startOffset, startLine, 2 * maxBytes + WRAPPER_BYTES, true);
  }

  get readOffset(): number {
    return this.raw.readOffset;
  }

  get resumeOffset(): number {
    return this.resume().offset;
  }

  get resumeLine(): number {
    return this.resume().line;
  }

  get heldBytes(): number {
    return this.readOffset - this.resumeOffset;
  }

  push(chunk: Buffer, out: FramedText[]): void {
    const records: FramedText[] = [];
    this.raw.push(chunk, records);
    this.take(records);
    this.release(out);
  }

  /**
   * `acceptPartial` given (a one-shot read of a file that may still grow): a line whose final record has not
   * come stays held. Otherwise the file has ended for good, and so has every line.
   */
  finish(out: FramedText[], acceptPartial?: (text: string) => boolean): void {
    const records: FramedText[] = [];
    this.raw.finish(records, acceptPartial);
    this.take(records);
    for (const s of this.streams.values()) {
      if (acceptPartial) s.flushObject(this.ready);
      else s.end(this.ready);
    }
    this.release(out);
  }

  /** The runtime writes each record whole with its newline: a last record without one is cut short, and stays held. */
  takeUnterminated(): boolean {
    return false;
  }

  private take(records: FramedText[]): void {
    for (const record of records) {
      if (record.tooLong) {
        this.ready.push(record);
        continue;
      }
      const r = this.unwrap(record.text);
      if (typeof r === 'string') {
        this.ready.push({ ...record, wrapperError: r });
        continue;
      }
      let s = this.streams.get(r.stream);
      if (!s) this.streams.set(r.stream, (s = new StreamLines(this.maxBytes)));
      s.add(record, r, this.ready);
    }
  }

  /** The earliest byte a stream or the raw framer holds. */
  private held(): Place {
    let p: Place = { offset: this.raw.resumeOffset, line: this.raw.resumeLine };
    for (const s of this.streams.values()) {
      const h = s.held();
      if (h && h.offset < p.offset) p = h;
    }
    return p;
  }

  private resume(): Place {
    let p = this.held();
    for (const t of this.ready) if (t.startOffset < p.offset) p = { offset: t.startOffset, line: t.line };
    return p;
  }

  /**
   * Hands over the longest run of ready texts (in file order) that nothing held or left ready starts inside.
   * Ready texts are bounded like a line: past maxBytes, what the streams hold is handed over as it is.
   */
  private release(out: FramedText[]): void {
    let readyBytes = 0;
    for (const t of this.ready) readyBytes += t.endOffset - t.startOffset;
    if (readyBytes > this.maxBytes) for (const s of this.streams.values()) s.end(this.ready);
    this.ready.sort((a, b) => a.startOffset - b.startOffset);
    const bound = this.held().offset;
    let n = 0;
    let end = -Infinity;
    for (let k = 0; k < this.ready.length; k++) {
      end = Math.max(end, this.ready[k]!.endOffset);
      const next = k + 1 < this.ready.length ? Math.min(this.ready[k + 1]!.startOffset, bound) : bound;
      if (end <= next) n = k + 1;
    }
    if (n) out.push(...this.ready.splice(0, n));
  }
}
