import { readdirSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ReadPosition } from '../ledger/ledger';
import { FramedText, isJsonText } from '../parse/framer';
import type { ContainerMode } from '../parse/containerLog';
import { classify, contentTester, FileIdentity, fileKeyOf, holdsContentOf } from './fileIdentity';
import { assertNever, FollowerEvent, FollowerEventHandler } from './followerEvents';
import { expandPattern } from './glob';
import type { Backlog, ReadHandler } from './types';
import { StartAt, WatchedFile } from './watchedFile';

export interface FollowerOptions {
  /** Configured source name: read positions are kept per source. */
  source: string;
  patterns: readonly string[];
  maxLineBytes: number;
  /** How long a renamed or deleted file is still read after it stops growing (the writer may not have reopened yet). */
  rotateWaitMs: number;
  /**
   * Where to start in a file found when the follower starts, if the source has no committed position yet
   * (its first run). A file that appears later, or while it was stopped, is always read from its start.
   */
  startAt: 'beginning' | 'end';
  /** Read buffer size. */
  chunkBytes?: number;
  /** Bytes read from one file in one poll before moving on, so one big file does not starve the others. */
  maxBytesPerPoll?: number;
  /** Every decision about a file (see followerEvents.ts): to be logged and counted. */
  events: FollowerEventHandler;
  /** Milliseconds since the epoch; a seam for tests. */
  clock?: () => number;
  /** A finished file not seen at a watched path for this long is forgotten (default a day). */
  forgetFinishedAfterMs?: number;
  /**
   * Most files followed at once (each holds an open descriptor); default unbounded. Files followed already
   * keep their place, then files with a committed position, then new files in path order.
   */
  maxFiles?: number;
  /** The container log wrapper of the file first matched at a watched path (containerLog.ts); default `auto`. */
  containerFor?: (watchedPath: string) => ContainerMode;
}

/** A file read to its end and closed: recognised by identity, so that a new file on its inode is read. */
interface FinishedFile {
  identity: FileIdentity;
  offset: number;
  line: number;
  lastSeenMs: number;
}

/** A file beside a watched path that holds the content of a known one. */
interface FoundFile {
  path: string;
  key: string;
}

// Small enough that the event loop turns every few milliseconds while a backlog is read: each of the
// ledger's statements continues only on a turn, so with 1 MB chunks a commit spent a third of its time waiting.
const DEFAULT_CHUNK = 256 << 10;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Follows files matching glob patterns as they grow, across rotation by rename (the old file is read to its
 * end first) and by copytruncate (the lines written between our last read and the copy are taken from the
 * copy), truncation, inode reuse and restarts (reading resumes at the committed position of each file, and
 * what happened to it while we were stopped is worked out the same way). What becomes of a known file is
 * decided by one function, `classify`; each decision is a `FollowerEvent`.
 */
export class FileFollower {
  private readonly watched = new Map<string, WatchedFile>();
  private readonly finished = new Map<string, FinishedFile>();
  /** Committed positions of files not followed yet in this run. */
  private readonly saved = new Map<string, ReadPosition>();
  /** Keys of files that could not be opened, already reported. */
  private readonly unopenable = new Set<string>();
  /** Two read buffers: the next chunk is read into one while the other is framed and handled. */
  private readonly buffers: [Buffer, Buffer];
  private readonly now: () => number;
  /** Whether `start_at: end` applies to files found at startup: only on the source's first run. */
  private firstRun = false;
  /** Whether the patterns match more files than `maxFiles`: said once each time it becomes so. */
  private overLimit = false;

  constructor(private readonly options: FollowerOptions) {
    const size = options.chunkBytes ?? DEFAULT_CHUNK;
    this.buffers = [Buffer.alloc(size), Buffer.alloc(size)];
    this.now = options.clock ?? Date.now;
  }

  /**
   * Takes the committed positions of this source, follows the files found now (from their positions), and
   * works out what became of the others while we were stopped (rotated beside their path, or copied and
   * truncated).
   */
  async init(saved: readonly ReadPosition[]): Promise<void> {
    this.firstRun = saved.length === 0;
    for (const p of saved) {
      if (p.finished)
        this.finished.set(p.fileKey, {
          identity: identityOfPosition(p),
          offset: p.offset,
          line: p.line,
          lastSeenMs: this.now(),
        });
      else this.saved.set(p.fileKey, p);
    }
    const present = this.scan();
    // A file may already be followed as the copy holding another's unread end.
    for (const [key, path] of present) if (!this.watched.has(key)) await this.discover(path, key, true);
    this.firstRun = false;
    for (const p of [...this.saved.values()]) {
      if (present.has(p.fileKey)) continue; // at a watched path but not readable yet: tried again at every poll
      this.saved.delete(p.fileKey);
      await this.findMoved(p);
    }
  }

  private emit(e: FollowerEvent): void {
    this.options.events(e);
  }

  /** Files the patterns match now, by device:inode: at most `maxFiles` of them. */
  private scan(): Map<string, string> {
    const found = new Map<string, string>();
    const paths = new Set<string>();
    for (const pattern of this.options.patterns) for (const p of expandPattern(pattern)) paths.add(p);
    for (const path of [...paths].sort()) {
      try {
        const key = fileKeyOf(statSync(path, { bigint: true }));
        if (!found.has(key)) found.set(key, path);
      } catch {
        // vanished between listing and stat
      }
    }
    return this.withinLimit(found);
  }

  /**
   * The files to follow of those found, when there are more than `maxFiles`: the ones followed already
   * (dropping one would take it for rotated), then those with a committed position, then new ones in path
   * order. The others are left for a later poll, when some are gone; saying so once.
   */
  private withinLimit(found: Map<string, string>): Map<string, string> {
    const limit = this.options.maxFiles ?? Infinity;
    if (found.size <= limit) {
      this.overLimit = false;
      return found;
    }
    if (!this.overLimit) this.emit({ event: 'tooManyFiles', matched: found.size, limit });
    this.overLimit = true;
    const rank = (key: string) => (this.watched.has(key) ? 0 : this.saved.has(key) ? 1 : 2);
    const kept = [...found].map(([key, path]) => ({ key, path, rank: rank(key) }));
    kept.sort((a, b) => a.rank - b.rank || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return new Map(
      kept
        .slice(0, Math.max(limit, this.watched.size))
        .sort((a, b) => (a.path < b.path ? -1 : 1))
        .map((f) => [f.key, f.path])
    );
  }

  private async follow(
    path: string,
    key: string,
    watchedPath: string,
    start: (size: number) => StartAt
  ): Promise<WatchedFile | undefined> {
    let w: WatchedFile | undefined;
    try {
      const container = this.options.containerFor?.(watchedPath) ?? 'auto';
      w = await WatchedFile.open(path, key, watchedPath, start, this.options.maxLineBytes, container, this.now());
    } catch (e) {
      // Tried again at every poll (permissions may be fixed): said once, not every poll_interval_ms.
      if (!this.unopenable.has(key)) this.emit({ event: 'cannotOpen', path, error: e as Error });
      this.unopenable.add(key);
      return undefined;
    }
    this.unopenable.delete(key);
    if (!w) return undefined;
    // Followed from a start decided now: any older entry for its inode is of another file, or used up.
    this.watched.set(key, w);
    this.saved.delete(key);
    this.finished.delete(key);
    return w;
  }

  /** A file at a watched path, not followed in this run yet. */
  private async discover(path: string, key: string, atStartup: boolean): Promise<void> {
    const saved = this.saved.get(key);
    // A position taken when the file was empty says nothing about what is on its inode now: as if none.
    if (saved && saved.fingerprintLen > 0) return this.resumeSaved(path, key, saved);
    // Before finished files: a copy may be on the reused inode of one.
    if (await this.followIfCopy(path, key)) return;
    const done = this.finished.get(key);
    if (done) return this.revisitFinished(path, key, done);
    const fromEnd = atStartup && this.firstRun && this.options.startAt === 'end';
    const w = await this.follow(path, key, path, (size) => ({ offset: fromEnd ? size : 0, line: 1 }));
    if (w) this.emit({ event: 'added', path, offset: w.readOffset });
  }

  /** Content not read before at a watched path (a new file, or new content on a known inode): from its start, unless it is a copy. */
  private async followNewContent(
    path: string,
    key: string,
    watchedPath: string,
    event: 'truncated' | 'replaced',
    offset: number
  ): Promise<void> {
    if (await this.followIfCopy(path, key)) return;
    if (await this.follow(path, key, watchedPath, () => ({ offset: 0, line: 1 }))) this.emit({ event, path, offset });
  }

  /** Follows the file at `path` as a copy of a file already read, if it is one (see `originalOf`). */
  private async followIfCopy(path: string, key: string): Promise<boolean> {
    const original = await this.originalOf(path, key);
    if (!original) return false;
    const copy = await this.follow(path, key, path, () => original.from);
    if (!copy) return true;
    copy.copyOf = original.identity;
    if (original.position) {
      // The copy holds what is left of a file with a committed position: that position is used up.
      this.saved.delete(original.position.fileKey);
      copy.supersedes = original.position;
    }
    this.emit({ event: 'copyRecovered', path: original.path, copy: path, offset: original.from.offset });
    return true;
  }

  /**
   * A new file at a watched path that holds the content of a file already read, as far as it was read: a
   * copy (copytruncate into a name the patterns match, or `cp`). What it holds was read from the original;
   * it is followed from there, not read twice.
   */
  private async originalOf(
    path: string,
    key: string
  ): Promise<{ path: string; identity: FileIdentity; from: StartAt; position?: ReadPosition } | undefined> {
    if (!this.watched.size && !this.saved.size) return undefined;
    let fh: FileHandle | undefined;
    try {
      fh = await open(path, 'r');
      const size = Number((await fh.stat()).size);
      // Compared with every file known, as many as the patterns match: one read, no list built per file.
      const holds = await contentTester(fh, size);
      const isOriginal = (identity: FileIdentity, from: StartAt) =>
        identity.key !== key && identity.fingerprintLen > 0 && size >= from.offset && holds(identity);
      for (const w of this.watched.values()) {
        const from = { offset: w.resumeOffset, line: w.resumeLine };
        if (isOriginal(w.identity, from)) return { path: w.watchedPath, identity: w.identity, from };
      }
      for (const p of this.saved.values()) {
        const identity = identityOfPosition(p);
        const from = { offset: p.offset, line: p.line };
        if (isOriginal(identity, from)) return { path: p.path, identity, from, position: p };
      }
      return undefined;
    } catch {
      return undefined; // not readable: `follow` reports it
    } finally {
      await fh?.close();
    }
  }

  /** Size and content of the file at `path` compared with `known`; undefined (reported) when it cannot be opened. */
  private async inspect(
    path: string,
    key: string,
    known: FileIdentity
  ): Promise<{ size: number; sameContent: boolean } | undefined> {
    let fh: FileHandle | undefined;
    try {
      fh = await open(path, 'r');
      const size = Number((await fh.stat()).size);
      return { size, sameContent: await holdsContentOf(fh, size, known) };
    } catch (e) {
      if (!this.unopenable.has(key)) this.emit({ event: 'cannotOpen', path, error: e as Error });
      this.unopenable.add(key);
      return undefined;
    } finally {
      await fh?.close();
    }
  }

  /** A file with a committed position, found at a watched path: what became of it while we were stopped? */
  private async resumeSaved(path: string, key: string, p: ReadPosition): Promise<void> {
    const known = identityOfPosition(p);
    const seen = await this.inspect(path, key, known);
    if (!seen) return; // kept in `saved`: tried again at the next poll
    this.saved.delete(key);
    const from = { offset: p.offset, line: p.line };
    // Its watched path stays the one it was first found at (it may be at another name the patterns match now).
    const watchedPath = p.path;
    const state = classify(p.offset, { ...seen, atWatchedPath: true, linked: true });
    switch (state) {
      case 'same':
      case 'grown':
        if (await this.follow(path, key, watchedPath, () => from))
          this.emit({ event: 'resumed', path, offset: p.offset });
        return;
      case 'truncated':
      case 'replaced':
        // Copied and truncated (or rewritten, or its inode reused) while we were stopped.
        await this.recoverCopy(watchedPath, known, from, true); // followed (and read) before the file itself
        await this.followNewContent(path, key, watchedPath, state, p.offset);
        return;
      case 'rotated':
      case 'gone':
        throw new Error(`unreachable: ${path} was found at a watched path`);
      default:
        assertNever(state);
    }
  }

  /** A finished file's inode at a watched path: still that file (left alone), or a new file on a reused inode. */
  private async revisitFinished(path: string, key: string, done: FinishedFile): Promise<void> {
    done.lastSeenMs = this.now();
    // Checked at every poll, size alone is not enough: a new file on its inode may have reached the same size.
    // (A finished file is rarely at a watched path: renamed back, or its inode reused.)
    const seen = await this.inspect(path, key, done.identity);
    if (!seen) return;
    const state = classify(done.offset, { ...seen, atWatchedPath: true, linked: true });
    switch (state) {
      case 'same':
        return;
      case 'grown':
        // Written to after it was finished: what was added is read, not lost.
        if (await this.follow(path, key, path, () => ({ offset: done.offset, line: done.line })))
          this.emit({ event: 'resumed', path, offset: done.offset });
        return;
      case 'truncated':
      case 'replaced':
        await this.followNewContent(path, key, path, 'replaced', done.offset);
        return;
      case 'rotated':
      case 'gone':
        throw new Error(`unreachable: ${path} was found at a watched path`);
      default:
        assertNever(state);
    }
  }

  /** A file with a committed position not found at any watched path: look for it beside its path. */
  private async findMoved(p: ReadPosition): Promise<void> {
    const known = identityOfPosition(p);
    const found = await this.findContent(p.path, known, p.offset, p.fileKey);
    if (!found) {
      this.emit({
        event: 'lost',
        path: p.path,
        offset: p.offset,
        why: p.fingerprintLen
          ? 'rotated away while tokenledger was stopped and not found beside it'
          : 'rotated away while tokenledger was stopped, before anything of it was read (nothing to recognise it by)',
      });
      return;
    }
    const w = await this.follow(found.path, found.key, p.path, () => ({ offset: p.offset, line: p.line }));
    if (!w) return;
    w.draining = true;
    if (found.key === p.fileKey) this.emit({ event: 'rotated', path: p.path, offset: p.offset });
    else {
      w.supersedes = p;
      this.emit({ event: 'copyRecovered', path: p.path, copy: found.path, offset: p.offset });
    }
  }

  /**
   * The file at `watchedPath` no longer holds what was read of it: the lines after `from` may exist only in
   * a copy beside it (copytruncate). Follows that copy from there, or says they are lost.
   */
  private async recoverCopy(
    watchedPath: string,
    known: FileIdentity,
    from: StartAt,
    knownUnread: boolean
  ): Promise<WatchedFile | undefined> {
    const followed = [...this.watched.values()].find((w) => w.copyOf && sameIdentity(w.copyOf, known));
    if (followed) return followed; // the patterns matched the copy: it is followed already
    const copy = await this.findContent(watchedPath, known, from.offset, undefined);
    if (copy) {
      const w = await this.follow(copy.path, copy.key, watchedPath, () => from);
      if (w) {
        w.draining = true;
        this.emit({ event: 'copyRecovered', path: watchedPath, copy: copy.path, offset: from.offset });
        return w;
      }
    }
    if (knownUnread)
      this.emit({
        event: 'lost',
        path: watchedPath,
        offset: from.offset,
        why: 'truncated or rewritten, and no copy holding the rest of what was written was found beside it',
      });
    return undefined;
  }

  /**
   * Looks beside `path` (files whose name starts with its name: where logrotate puts app.log.1 and
   * app.log-20250101) for a file not followed that holds `known`'s content and at least `offset` bytes;
   * the file with device:inode `preferKey` if there is one.
   */
  private async findContent(
    path: string,
    known: FileIdentity,
    offset: number,
    preferKey: string | undefined
  ): Promise<FoundFile | undefined> {
    // A file read when it was empty has nothing to be recognised by: its inode may since be another file's.
    if (known.fingerprintLen === 0) return undefined;
    let copy: FoundFile | undefined;
    for (const candidate of rotationSiblings(path)) {
      let fh: FileHandle | undefined;
      try {
        const st = statSync(candidate, { bigint: true });
        const key = fileKeyOf(st);
        const size = Number(st.size);
        if (!st.isFile() || size < offset || this.watched.has(key) || this.isFinished(key, known)) continue;
        fh = await open(candidate, 'r');
        if (!(await holdsContentOf(fh, size, known))) continue;
        // A file with its own committed position (of the content it holds) is resumed from it, not taken as another's copy.
        const own = this.saved.get(key);
        if (
          own &&
          own.fileKey !== preferKey &&
          own.fingerprintLen > 0 &&
          (await holdsContentOf(fh, size, identityOfPosition(own)))
        )
          continue;
        if (key === preferKey) return { path: candidate, key };
        copy ??= { path: candidate, key };
      } catch {
        // vanished or unreadable: not the one
      } finally {
        await fh?.close();
      }
    }
    return copy;
  }

  /** A finished file is recognised by identity: the same inode with the same first bytes. */
  private isFinished(key: string, identity: FileIdentity): boolean {
    const done = this.finished.get(key);
    return done !== undefined && sameIdentity(done.identity, { ...identity, key });
  }

  /**
   * Finds new, rotated and truncated files, then reads what is new in each, handing it over chunk by chunk.
   * Returns true when the caller should commit and poll again at once: a file holds more than this poll read
   * (a backlog, maxBytesPerPoll at a time), positions were handed over before any read, or a copy or a file's
   * idle last line was read. Caught up with files that keep growing, it returns false: the caller waits its
   * interval, and a batch holds what that brought rather than what a few milliseconds did.
   */
  async poll(handler: ReadHandler): Promise<boolean> {
    const present = this.scan();
    for (const [key, path] of present) {
      const w = this.watched.get(key);
      if (!w) await this.discover(path, key, false);
      else if (w.path !== path) w.path = path; // renamed to a name the patterns also match: keep reading
    }
    let again = false;
    for (const w of [...this.watched.values()])
      if (!w.draining) again = (await this.check(w, present.has(w.key), handler)) || again;
    // Every file's position is handed over, and committed (the caller commits when a poll ends), before any
    // file is read: when a backlog keeps `serve` busy until it is stopped (kill -9 before it reaches the other
    // files, or before a batch fills), a file copied and truncated meanwhile must still have a committed
    // position for what it holds now, or its copy is not recognised after the next copytruncate.
    let announced = false;
    for (const w of this.watched.values()) {
      if (!w.unannounced) continue;
      await this.hand(w, [], false, handler);
      announced = true;
    }
    if (announced) return true; // polled again at once, after the commit
    for (const w of [...this.watched.values()]) {
      await this.readNew(w, handler);
      again ||= w.unreadBytes > 0;
      if (this.now() - w.lastGrowthMs < this.options.rotateWaitMs) continue;
      if (w.draining) await this.finish(w, handler);
      else again = (await this.takeIdleLastLine(w, handler)) || again;
    }
    this.forgetOldFinished();
    return again;
  }

  /** What became of a followed file since the last poll. Returns true when a copy of it was read. */
  private async check(w: WatchedFile, atWatchedPath: boolean, handler: ReadHandler): Promise<boolean> {
    const before = { offset: w.resumeOffset, line: w.resumeLine, size: w.size, identity: w.identity };
    const state = classify(w.readOffset, await w.observe(atWatchedPath));
    switch (state) {
      case 'same':
      case 'grown':
        return false;
      case 'rotated':
      case 'gone':
        w.draining = true;
        this.emit({ event: state, path: w.path, offset: w.readOffset });
        return false;
      case 'truncated':
      case 'replaced': {
        // Its handle is open, so its inode cannot have been reused: it was truncated, maybe rewritten since
        // (and maybe deleted since: the next poll finds it gone).
        const copy = await this.recoverCopy(w.watchedPath, before.identity, before, before.size > before.offset);
        // The copy's position is handed over before the file's new one: a crash in between cannot leave
        // the lines in the copy without a position that leads to them.
        const readCopy = copy !== undefined && (await this.readNew(copy, handler));
        await w.rewind();
        this.emit({ event: state, path: w.path, offset: before.offset });
        return readCopy;
      }
      default:
        return assertNever(state);
    }
  }

  /** Reads what is new in `w` (maxBytesPerPoll at most); returns true when it read anything. */
  private async readNew(w: WatchedFile, handler: ReadHandler): Promise<boolean> {
    const read = await w.readNew(this.buffers, this.options.maxBytesPerPoll ?? 64 << 20, this.now(), (texts) =>
      this.hand(w, texts, false, handler)
    );
    if (w.unannounced) await this.hand(w, [], false, handler);
    return read > 0;
  }

  private async hand(w: WatchedFile, texts: FramedText[], finished: boolean, handler: ReadHandler): Promise<void> {
    for (const t of texts)
      if (t.tooLong) this.emit({ event: 'lineTooLong', path: w.path, line: t.line, offset: t.startOffset });
    const position = w.position(this.options.source, finished);
    await handler({ path: w.path, texts, position });
    w.announcedFingerprintLen = position.fingerprintLen;
    if (w.supersedes) {
      await handler({ path: w.supersedes.path, texts: [], position: { ...w.supersedes, finished: true } });
      w.supersedes = undefined;
    }
  }

  /**
   * A file that has not grown for rotate_wait_ms and ends in a line without a newline: the writer is done
   * with it (one object per file, as LiteLLM's S3/GCS logger writes them). That line is read now if it is a
   * whole JSON text, and committed with the position past it, so it is never read again (bytes appended later
   * are read from there: see Framer.takeUnterminated). Anything else held (a line or object cut short) is
   * said once, as `incompleteLastLine`, and stays held until the writer completes it.
   */
  private async takeIdleLastLine(w: WatchedFile, handler: ReadHandler): Promise<boolean> {
    if (w.heldBytes === 0) return false;
    const texts = w.takeUnterminated();
    if (texts.length) {
      await this.hand(w, texts, false, handler);
      return true;
    }
    if (w.incompleteReportedAt !== w.resumeOffset) {
      w.incompleteReportedAt = w.resumeOffset;
      this.emit({
        event: 'incompleteLastLine',
        path: w.path,
        line: w.resumeLine,
        offset: w.resumeOffset,
        bytes: w.heldBytes,
      });
    }
    return false;
  }

  /** A rotated file is done: its held partial line is its last line; commit it as finished and close it. */
  private async finish(w: WatchedFile, handler: ReadHandler): Promise<void> {
    await this.hand(w, w.finish(), true, handler);
    this.watched.delete(w.key);
    this.finished.set(w.key, {
      identity: w.identity,
      offset: w.readOffset,
      line: w.resumeLine,
      lastSeenMs: this.now(),
    });
    await w.close();
    this.emit({ event: 'finished', path: w.path, offset: w.readOffset });
  }

  /** Finished files not seen at a watched path for a while are forgotten: their inodes go to new files. */
  private forgetOldFinished(): void {
    const horizon = this.now() - (this.options.forgetFinishedAfterMs ?? DAY_MS);
    for (const [key, done] of this.finished) if (done.lastSeenMs < horizon) this.finished.delete(key);
  }

  /**
   * One-shot reading (`tokenledger ingest`): the files are complete as they are. A partial last line is
   * taken only if it is a whole JSON text; otherwise it stays held for a later run, when its newline has come.
   */
  async drainAll(handler: ReadHandler): Promise<void> {
    while (await this.poll(handler));
    for (const w of this.watched.values()) {
      const texts = w.finish(isJsonText);
      if (texts.length) await this.hand(w, texts, false, handler);
    }
  }

  /**
   * Bytes of each file not read yet. A partial last line (or unfinished pretty-printed object) held until the
   * rest arrives is not counted: it is read, and nothing can be done with it until the writer completes it, so
   * it is no reason to call the source behind (lag, /readyz, alerts).
   */
  backlog(): Backlog[] {
    return [...this.watched.values()].map((w) => ({ path: w.path, bytes: w.unreadBytes }));
  }

  /** Progress of every open file, for `tokenledger ingest` on a terminal. */
  progress(): { path: string; read: number; size: number }[] {
    return [...this.watched.values()].map((w) => ({ path: w.path, read: w.readOffset, size: w.size }));
  }

  /** Files with data held back (partial last line): reported by one-shot ingest. */
  held(): { path: string; line: number; bytes: number }[] {
    return [...this.watched.values()]
      .filter((w) => w.heldBytes > 0)
      .map((w) => ({ path: w.path, line: w.resumeLine, bytes: w.heldBytes }));
  }

  async close(): Promise<void> {
    for (const w of this.watched.values()) await w.close();
    this.watched.clear();
  }
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.key === b.key && a.fingerprint === b.fingerprint && a.fingerprintLen === b.fingerprintLen;
}

function identityOfPosition(p: ReadPosition): FileIdentity {
  return { key: p.fileKey, fingerprint: p.fingerprint, fingerprintLen: p.fingerprintLen };
}

/** Files beside `path` whose name starts with its name: where logrotate puts rotated copies. */
function rotationSiblings(path: string): string[] {
  const dir = dirname(path);
  const name = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n !== name && n.startsWith(name))
    .sort()
    .map((n) => join(dir, n));
}
