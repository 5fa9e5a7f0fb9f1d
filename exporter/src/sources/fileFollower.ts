import { statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { ReadPosition } from '../ledger/ledger';
import { Framer, FramedText } from '../parse/framer';
import { expandPattern } from './glob';
import { fileKeyOf, findSibling, FINGERPRINT_BYTES, fingerprint } from './fileIdentity';
import type { Backlog, ReadHandler } from './types';

export interface FollowerOptions {
  /** Configured source name: read positions are kept per source. */
  source: string;
  patterns: readonly string[];
  maxLineBytes: number;
  /** How long a renamed or deleted file is still read after it stops growing (the writer may not have reopened yet). */
  rotateWaitMs: number;
  /** Where to start in a file never seen before. */
  startAt: 'beginning' | 'end';
  /** Read buffer size. */
  chunkBytes?: number;
  /** Bytes read from one file in one poll before moving on, so one big file does not starve the others. */
  maxBytesPerPoll?: number;
  /** Called with problems worth an operator's attention (lost rotated file). */
  warn: (message: string) => void;
  /**
   * Called once for a file that matches but cannot be opened (it is tried again at every poll); by default
   * a `warn`.
   */
  cannotOpen?: (path: string, error: Error) => void;
}

interface Tracked {
  key: string;
  path: string;
  fh: FileHandle;
  framer: Framer;
  /** Next byte to read. */
  readOffset: number;
  fingerprint: string;
  fingerprintLen: number;
  /** Size seen at the last poll: the fingerprint is re-checked only when it changes. */
  lastSize: number;
  lastGrowthMs: number;
  /** Set once the file's path no longer leads to it: it is drained, then finished. */
  rotated: boolean;
}

// Small enough that the event loop turns every few milliseconds while a backlog is read: each of the
// ledger's statements continues only on a turn, so with 1 MB chunks a commit spent a third of its time waiting.
const DEFAULT_CHUNK = 256 << 10;

/**
 * Follows files matching glob patterns as they grow, across rotation by rename (the old file is read to its
 * end first) and by copytruncate (the lines written between our last read and the copy are taken from the
 * copy), truncation, and restarts (reading resumes at the committed position of each file).
 */
export class FileFollower {
  private readonly tracked = new Map<string, Tracked>();
  /** Files already read to the end and closed (rotated away): never reopened. */
  private readonly finished = new Set<string>();
  private saved = new Map<string, ReadPosition>();
  /** Files that could not be opened, already warned about. */
  private readonly unopenable = new Set<string>();
  /** Two read buffers: the next chunk is read into one while the other is framed and handled. */
  private readonly buffers: [Buffer, Buffer];

  constructor(private readonly o: FollowerOptions) {
    const size = o.chunkBytes ?? DEFAULT_CHUNK;
    this.buffers = [Buffer.alloc(size), Buffer.alloc(size)];
  }

  /** Takes the committed positions of this source, and picks up files that rotated away while we were down. */
  async init(saved: readonly ReadPosition[]): Promise<void> {
    this.saved = new Map(saved.map((p) => [p.fileKey, p]));
    for (const p of saved) if (p.finished) this.finished.add(p.fileKey);
    const present = new Set<string>();
    for (const path of this.matches()) {
      try {
        present.add(fileKeyOf(statSync(path, { bigint: true })));
      } catch {
        // vanished between listing and stat
      }
    }
    for (const p of saved) {
      if (p.finished || present.has(p.fileKey)) continue;
      const found = await findSibling(p.path, async (f, fh) => f.key === p.fileKey && (await fingerprint(fh, p.fingerprintLen)) === p.fingerprint);
      if (found) await this.track(found.path, p.fileKey, p.offset, p.line, true);
      else this.o.warn(`${p.path}: rotated away while tokenledger was stopped and not found beside it; bytes after offset ${p.offset} of that file were not read`);
    }
  }

  private matches(): string[] {
    const all = new Set<string>();
    for (const pattern of this.o.patterns) for (const p of expandPattern(pattern)) all.add(p);
    return [...all].sort();
  }

  private async track(path: string, key: string, offset: number, line: number, rotated: boolean): Promise<Tracked | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      // Tried again at every poll (permissions may be fixed): said once, not every poll_interval_ms.
      if (!this.unopenable.has(key)) {
        if (this.o.cannotOpen) this.o.cannotOpen(path, e as Error);
        else this.o.warn(`${path}: cannot open: ${(e as Error).message}`);
      }
      this.unopenable.add(key);
      return undefined;
    }
    this.unopenable.delete(key);
    const st = await fh.stat({ bigint: true });
    if (fileKeyOf(st) !== key) {
      await fh.close(); // replaced between stat and open: picked up at the next poll
      return undefined;
    }
    const size = Number(st.size);
    const fpLen = Math.min(size, FINGERPRINT_BYTES);
    const t: Tracked = {
      key, path, fh,
      framer: new Framer(offset, line, this.o.maxLineBytes),
      readOffset: offset,
      fingerprint: await fingerprint(fh, fpLen),
      fingerprintLen: fpLen,
      lastSize: size,
      lastGrowthMs: Date.now(),
      rotated,
    };
    this.tracked.set(key, t);
    return t;
  }

  /** A file seen for the first time in this run: resume at its committed position if it is the same file. */
  private async discover(path: string, key: string): Promise<void> {
    const saved = this.saved.get(key);
    if (saved) {
      const t = await this.track(path, key, 0, 1, false);
      if (!t) return;
      const same = t.lastSize >= saved.offset && saved.fingerprintLen <= t.lastSize && (await fingerprint(t.fh, saved.fingerprintLen)) === saved.fingerprint;
      if (same) {
        t.framer = new Framer(saved.offset, saved.line, this.o.maxLineBytes);
        t.readOffset = saved.offset;
      }
      return;
    }
    const t = await this.track(path, key, 0, 1, false);
    if (t && this.o.startAt === 'end') {
      t.framer = new Framer(t.lastSize, 1, this.o.maxLineBytes);
      t.readOffset = t.lastSize;
    }
  }

  /**
   * Finds new, rotated and truncated files, then reads what is new in each, handing it over chunk by chunk.
   * Returns true when anything was read (the caller polls again at once while catching up).
   */
  async poll(handler: ReadHandler): Promise<boolean> {
    const seen = new Set<string>();
    for (const path of this.matches()) {
      let key: string;
      try {
        key = fileKeyOf(statSync(path, { bigint: true }));
      } catch {
        continue;
      }
      seen.add(key);
      if (this.finished.has(key)) continue;
      const t = this.tracked.get(key);
      if (!t) await this.discover(path, key);
      else if (t.path !== path) t.path = path; // renamed to a name the patterns also match: keep reading
    }
    let readAny = false;
    for (const t of [...this.tracked.values()]) {
      if (!seen.has(t.key)) t.rotated = true;
      if (!t.rotated) await this.checkTruncation(t);
      readAny = (await this.readNew(t, handler)) || readAny;
      if (t.rotated && Date.now() - t.lastGrowthMs >= this.o.rotateWaitMs) await this.finishFile(t, handler);
    }
    return readAny;
  }

  /** Copytruncate or truncation: the file shrank below what we read, or its first bytes changed. */
  private async checkTruncation(t: Tracked): Promise<void> {
    const size = Number((await t.fh.stat({ bigint: true })).size);
    if (size === t.lastSize && size >= t.readOffset) return;
    const shrunk = size < t.readOffset;
    const rewritten = !shrunk && t.fingerprintLen > 0 && (size < t.fingerprintLen || (await fingerprint(t.fh, t.fingerprintLen)) !== t.fingerprint);
    if (shrunk || rewritten) {
      // The lines written after our last read but before the copy live only in the copy: read them there.
      const resume = t.framer.resumeOffset;
      const line = t.framer.resumeLine;
      const copy = await findSibling(t.path, async (f, fh) => !this.tracked.has(f.key) && !this.finished.has(f.key) && f.size >= resume && f.size >= t.fingerprintLen && (await fingerprint(fh, t.fingerprintLen)) === t.fingerprint);
      if (copy) await this.track(copy.path, copy.key, resume, line, true);
      t.framer = new Framer(0, 1, this.o.maxLineBytes);
      t.readOffset = 0;
      t.fingerprintLen = Math.min(size, FINGERPRINT_BYTES);
      t.fingerprint = await fingerprint(t.fh, t.fingerprintLen);
    } else if (t.fingerprintLen < FINGERPRINT_BYTES && size > t.fingerprintLen) {
      // A young file: extend its fingerprint as it grows, so identity checks use the full prefix.
      t.fingerprintLen = Math.min(size, FINGERPRINT_BYTES);
      t.fingerprint = await fingerprint(t.fh, t.fingerprintLen);
    }
    t.lastSize = size;
  }

  private position(t: Tracked, finished: boolean): ReadPosition {
    return {
      source: this.o.source,
      fileKey: t.key,
      path: t.path,
      fingerprint: t.fingerprint,
      fingerprintLen: t.fingerprintLen,
      offset: t.framer.resumeOffset,
      line: t.framer.resumeLine,
      finished,
    };
  }

  /**
   * Reads what is new, one chunk ahead: the read of the next chunk (on libuv's thread pool) runs while this
   * one is handled, rather than the loop waiting for each read when the cores are busy. A chunk read ahead
   * but not consumed is simply read again later: only consumed bytes move `readOffset`.
   */
  private async readNew(t: Tracked, handler: ReadHandler): Promise<boolean> {
    const limit = this.o.maxBytesPerPoll ?? 64 << 20;
    const readInto = (buffer: Buffer, at: number) => {
      const read = t.fh.read(buffer, 0, buffer.length, at);
      read.catch(() => undefined); // awaited below, unless the handler threw first
      return read;
    };
    let total = 0;
    let turn = 0;
    let next = readInto(this.buffers[0], t.readOffset);
    while (total < limit) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) break;
      t.readOffset += bytesRead;
      total += bytesRead;
      turn ^= 1;
      if (total < limit) next = readInto(this.buffers[turn], t.readOffset);
      const texts: FramedText[] = [];
      t.framer.push(buffer.subarray(0, bytesRead), texts);
      await handler({ path: t.path, texts, position: this.position(t, false) });
    }
    if (total > 0) t.lastGrowthMs = Date.now();
    return total > 0;
  }

  /** A rotated file is done: its held partial line is its last line; commit it as finished and close it. */
  private async finishFile(t: Tracked, handler: ReadHandler): Promise<void> {
    const texts: FramedText[] = [];
    t.framer.finish(texts);
    await handler({ path: t.path, texts, position: this.position(t, true) });
    this.tracked.delete(t.key);
    this.finished.add(t.key);
    await t.fh.close();
  }

  /**
   * One-shot reading (`tokenledger ingest`): the files are complete as they are. A partial last line is
   * taken only if it is a whole JSON text; otherwise it stays held for a later run, when its newline has come.
   */
  async drainAll(handler: ReadHandler): Promise<void> {
    while (await this.poll(handler));
    for (const t of this.tracked.values()) {
      const texts: FramedText[] = [];
      t.framer.finish(texts, isCompleteJson);
      if (texts.length) await handler({ path: t.path, texts, position: this.position(t, false) });
    }
  }

  /**
   * Bytes of each file not read yet. A partial last line (or unfinished pretty-printed object) held until the
   * rest arrives is not counted: it is read, and nothing can be done with it until the writer completes it, so
   * it is no reason to call the source behind (lag, /readyz, alerts).
   */
  backlog(): Backlog[] {
    return [...this.tracked.values()].map((t) => ({ path: t.path, bytes: Math.max(0, t.lastSize - t.readOffset) }));
  }

  /** Progress of every open file, for `tokenledger ingest` on a terminal. */
  progress(): { path: string; read: number; size: number }[] {
    return [...this.tracked.values()].map((t) => ({ path: t.path, read: t.readOffset, size: t.lastSize }));
  }

  /** Files with data held back (partial last line): reported by one-shot ingest. */
  held(): { path: string; line: number; bytes: number }[] {
    return [...this.tracked.values()].filter((t) => t.framer.heldBytes > 0).map((t) => ({ path: t.path, line: t.framer.resumeLine, bytes: t.framer.heldBytes }));
  }

  async close(): Promise<void> {
    for (const t of this.tracked.values()) await t.fh.close().catch(() => undefined);
    this.tracked.clear();
  }
}

function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
