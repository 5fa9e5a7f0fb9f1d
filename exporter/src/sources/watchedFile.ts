import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { ReadPosition } from '../ledger/ledger';
import type { FramedText, TextFramer } from '../parse/framer';
import { ContainerMode, containerFramer, DETECT_BYTES } from '../parse/containerLog';
import { FileIdentity, fileKeyOf, FINGERPRINT_BYTES, holdsContentOf, identityOf, Observation } from './fileIdentity';

/** Where to start reading a file: a byte offset and the number of the line that starts there. */
export interface StartAt {
  offset: number;
  line: number;
}

/**
 * One followed file: its open handle, its identity and its framer, which owns the read position (there is
 * no second offset to keep in step with it).
 */
export class WatchedFile {
  private framer: TextFramer;
  /** Size and modification time at the last look: content is re-checked only when one of them changes. */
  size: number;
  private mtimeNs: bigint;
  lastGrowthMs: number;
  /** Its watched path no longer leads to it (rotated, deleted): read to its end, then finished. */
  draining = false;
  /**
   * Fingerprint length of the last position handed over since it was (re)started (-1: none yet). A file is
   * committed as soon as it is followed, even empty, and again while its fingerprint grows: after a crash, its
   * committed position is what it is searched for by if it was rotated away, or copied and truncated, meanwhile.
   */
  announcedFingerprintLen = -1;
  /**
   * A copy followed in place of a file that is no longer where it was: that file's committed position, to be
   * committed as finished once the copy's own position has been handed over, so that it is not recovered twice.
   */
  supersedes: ReadPosition | undefined;
  /** Resume offset of the incomplete last line last reported (`incompleteLastLine`): said once, not at every poll. */
  incompleteReportedAt = -1;
  /** The file whose unread end this copy holds (a copy made by copytruncate where the patterns also match it). */
  copyOf: FileIdentity | undefined;

  private constructor(
    private readonly fh: FileHandle,
    public identity: FileIdentity,
    /** Where it is now: named in reject messages. */
    public path: string,
    /**
     * The path the source's patterns matched when it was first followed. Saved with its position and kept
     * when it is found under a rotated name, so that its rotated copies are searched beside the right name
     * after any number of restarts.
     */
    readonly watchedPath: string,
    size: number,
    mtimeNs: bigint,
    start: StartAt,
    /** The file's first bytes, when it is resumed past them: what `container: auto` decides on. */
    head: Buffer | undefined,
    private readonly maxLineBytes: number,
    /** Its container log wrapper (containerLog.ts), or `auto`: decided from its first line. */
    private readonly container: ContainerMode,
    nowMs: number
  ) {
    this.framer = containerFramer(container, start.offset, start.line, maxLineBytes, head);
    this.size = size;
    this.mtimeNs = mtimeNs;
    this.lastGrowthMs = nowMs;
  }

  /**
   * Opens the file at `path` expected to be `key`; `start` is called with its size. Undefined when it was
   * replaced between the look and the open (it is picked up at the next poll).
   */
  static async open(
    path: string,
    key: string,
    watchedPath: string,
    start: (size: number) => StartAt,
    maxLineBytes: number,
    container: ContainerMode,
    nowMs: number
  ): Promise<WatchedFile | undefined> {
    const fh = await open(path, 'r');
    const st = await fh.stat({ bigint: true });
    if (fileKeyOf(st) !== key) {
      await fh.close();
      return undefined;
    }
    const size = Number(st.size);
    const at = start(size);
    let head: Buffer | undefined;
    if (container === 'auto' && at.offset > 0) {
      head = Buffer.alloc(DETECT_BYTES);
      head = head.subarray(0, (await fh.read(head, 0, DETECT_BYTES, 0)).bytesRead);
    }
    return new WatchedFile(
      fh,
      await identityOf(fh, key, size),
      path,
      watchedPath,
      size,
      st.mtimeNs,
      at,
      head,
      maxLineBytes,
      container,
      nowMs
    );
  }

  get key(): string {
    return this.identity.key;
  }

  /** Next byte to read. */
  get readOffset(): number {
    return this.framer.readOffset;
  }

  /** Bytes of the file as last observed that are not read yet (a held partial line is read). */
  get unreadBytes(): number {
    return Math.max(0, this.size - this.readOffset);
  }

  get resumeOffset(): number {
    return this.framer.resumeOffset;
  }

  get resumeLine(): number {
    return this.framer.resumeLine;
  }

  get heldBytes(): number {
    return this.framer.heldBytes;
  }

  /** Whether its position must be handed over (again) before a crash could need it: see `announcedFingerprintLen`. */
  get unannounced(): boolean {
    return this.announcedFingerprintLen < this.identity.fingerprintLen;
  }

  /** Whether the file's content is still what was read, as `classify` needs it. */
  async observe(atWatchedPath: boolean): Promise<Observation> {
    const st = await this.fh.stat({ bigint: true });
    const size = Number(st.size);
    // Same size and time: unchanged. Truncated and rewritten to the same size changes the time.
    const untouched = size === this.size && st.mtimeNs === this.mtimeNs && size >= this.readOffset;
    const sameContent = untouched || (await holdsContentOf(this.fh, size, this.identity));
    if (sameContent) this.mtimeNs = st.mtimeNs;
    if (sameContent && size > this.size) {
      this.size = size;
      // A young file: extend its fingerprint as it grows, so identity checks use the full prefix.
      if (this.identity.fingerprintLen < FINGERPRINT_BYTES) this.identity = await identityOf(this.fh, this.key, size);
    }
    return { size, sameContent, atWatchedPath, linked: st.nlink > 0n };
  }

  /** Truncated or rewritten: read again from its start, as a new file. */
  async rewind(): Promise<void> {
    this.framer = containerFramer(this.container, 0, 1, this.maxLineBytes);
    this.announcedFingerprintLen = -1;
    const st = await this.fh.stat({ bigint: true });
    this.size = Number(st.size);
    this.mtimeNs = st.mtimeNs;
    this.identity = await identityOf(this.fh, this.key, this.size);
  }

  position(source: string, finished: boolean): ReadPosition {
    return {
      source,
      fileKey: this.key,
      path: this.watchedPath,
      fingerprint: this.identity.fingerprint,
      fingerprintLen: this.identity.fingerprintLen,
      offset: this.framer.resumeOffset,
      line: this.framer.resumeLine,
      finished,
    };
  }

  /**
   * Reads what is new, one chunk ahead: the read of the next chunk (on libuv's thread pool) runs while this
   * one is handled, rather than the loop waiting for each read when the cores are busy. A chunk read ahead
   * but not consumed is simply read again later: only framed bytes move the read offset.
   */
  async readNew(
    buffers: [Buffer, Buffer],
    limit: number,
    nowMs: number,
    handle: (texts: FramedText[]) => Promise<void>
  ): Promise<number> {
    const readInto = (buffer: Buffer, at: number) => {
      const read = this.fh.read(buffer, 0, buffer.length, at);
      read.catch(() => undefined); // awaited below, unless the handler threw first
      return read;
    };
    let total = 0;
    let turn = 0;
    let next = readInto(buffers[0], this.readOffset);
    while (total < limit) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) break;
      total += bytesRead;
      turn ^= 1;
      if (total < limit) next = readInto(buffers[turn], this.readOffset + bytesRead);
      const texts: FramedText[] = [];
      this.framer.push(buffer.subarray(0, bytesRead), texts);
      // The fingerprint covers what was read (up to its length): a position must not match a file holding other bytes.
      if (this.identity.fingerprintLen < Math.min(this.readOffset, FINGERPRINT_BYTES))
        this.identity = await identityOf(this.fh, this.key, this.readOffset);
      await handle(texts);
    }
    if (total > 0) {
      this.lastGrowthMs = nowMs;
      this.size = Math.max(this.size, this.readOffset);
    }
    return total;
  }

  /** The file has ended for good: its held partial line is its last line (when `acceptPartial` takes it). */
  finish(acceptPartial?: (text: string) => boolean): FramedText[] {
    const texts: FramedText[] = [];
    this.framer.finish(texts, acceptPartial);
    return texts;
  }

  /** The writer has stopped: its last line, if it has no newline but is whole (see Framer.takeUnterminated). */
  takeUnterminated(): FramedText[] {
    const texts: FramedText[] = [];
    this.framer.takeUnterminated(texts);
    return texts;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
