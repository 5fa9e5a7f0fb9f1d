import { appendFileSync, copyFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createFileOnInode } from '../inodeReuse';
import type { Book, Line } from './book';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

interface FileState {
  path: string;
  /** basename(path), made once: every line's entry in the book refers to it. */
  name: string;
  /** Byte offset and 1-based number of the next line. */
  offset: number;
  line: number;
}

/**
 * One log as a gateway writes it: a followed path (`a.log`), the files rotation makes of it (`a.log.1`, ...),
 * and the writer's position in the file it appends to. Every line written is entered in the book with its
 * file, line number, byte offset and the fault before it.
 */
export class LogFamily {
  readonly path: string;
  private file: FileState;
  /** After a rename the writer keeps appending to the renamed file until it reopens (real writers do). */
  private reopenAt: number | undefined;
  private rotations = 0;
  /** Renamed files still on disk, with when they were last written. */
  readonly rotated: { path: string; lastWriteMs: number }[] = [];
  /** Set while a line is written in pieces: nothing else may be appended meanwhile. */
  busy = false;

  constructor(
    dir: string,
    readonly name: string,
    private readonly book: Book,
    private readonly currentFault: () => number
  ) {
    this.path = join(dir, `${name}.log`);
    writeFileSync(this.path, '');
    this.file = this.newFileState(0);
  }

  get writingToRenamedFile(): boolean {
    return this.reopenAt !== undefined;
  }

  write(lines: readonly Line[]): void {
    if (!lines.length) return;
    for (const l of lines) this.enter(l);
    appendFileSync(this.file.path, Buffer.concat(lines.map((l) => l.bytes)));
    this.touched();
  }

  /** Writes one line in pieces cut at the byte offsets `cuts`, awaiting `between(i)` after piece i (a pause, a kill...). */
  async writeInPieces(line: Line, cuts: readonly number[], between: (i: number) => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      const path = this.file.path;
      this.enter(line);
      let from = 0;
      for (const [i, cut] of [...cuts, line.bytes.length].entries()) {
        appendFileSync(path, line.bytes.subarray(from, cut));
        from = cut;
        if (i < cuts.length) await between(i);
      }
      this.touched();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Rotation by rename: the writer goes on appending to the renamed file for `reopenAfterMs`, then starts a new
   * file. Not while the writer has yet to reopen: there is no file at the path to rename (logrotate's
   * `missingok` skips it). Creating one then and renaming it at once would make a file that was never at the
   * followed path for a reader to see, yet is written to: with an exact path (c.log) nothing can follow it.
   */
  rotateByRename(reopenAfterMs: number): string {
    if (this.reopenAt !== undefined) throw new Error(`${this.path}: rename while the writer is on a renamed file`);
    const to = `${this.path}.${++this.rotations}`;
    renameSync(this.path, to);
    this.file.path = to;
    this.file.name = basename(to);
    this.rotated.push({ path: to, lastWriteMs: Date.now() });
    this.reopenAt = Date.now() + reopenAfterMs;
    return to;
  }

  /** Starts the new file once the writer's reopen delay is over (or now, with `force`). Returns its inode if created. */
  finishReopen(force: boolean, withBom: boolean, firstLine?: () => Line): number | undefined {
    if (this.reopenAt === undefined || (!force && Date.now() < this.reopenAt)) return undefined;
    this.reopenAt = undefined;
    writeFileSync(this.path, withBom ? BOM : '');
    this.file = this.newFileState(withBom ? BOM.length : 0);
    // A BOM file starts with a request: which offset a reject of line 1 should name (0 or 3) is not the question here.
    if (withBom && firstLine) this.write([firstLine()]);
    return Number(statSync(this.path).ino);
  }

  /** A new file appears at the followed path with `lines` already in it (written aside, then renamed into place). */
  startNewFileWith(lines: readonly Line[]): void {
    this.reopenAt = undefined;
    const aside = `${this.path}.new`;
    writeFileSync(aside, Buffer.concat(lines.map((l) => l.bytes)));
    this.file = this.newFileState(0);
    for (const l of lines) this.enter(l);
    renameSync(aside, this.path);
  }

  /**
   * Starts the new file (after a rename) on inode `ino`, just freed by a deleted file: ext4 hands a freed
   * inode to the next file created in the same group, unless another process got it first, so files are
   * created aside until one has it, then renamed into place. Returns whether it got `ino` within `timeoutMs`.
   */
  async startNewFileOnInode(ino: number, timeoutMs: number): Promise<boolean> {
    const got = await createFileOnInode(this.path, ino, timeoutMs);
    this.reopenAt = undefined;
    this.file = this.newFileState(0);
    return got;
  }

  /** logrotate's copytruncate: the lines so far are copied to a new file, then the followed file is emptied. */
  copytruncate(): string {
    if (this.reopenAt !== undefined)
      throw new Error(`${this.path}: copytruncate while the writer is on a renamed file`);
    const to = `${this.path}.${++this.rotations}`;
    copyFileSync(this.path, to);
    truncateSync(this.path, 0);
    this.file = this.newFileState(0);
    return to;
  }

  /** Truncation to 0 in place (the caller made sure every line was read first: there is no copy). */
  truncate(): void {
    if (this.reopenAt !== undefined) throw new Error(`${this.path}: truncation while the writer is on a renamed file`);
    truncateSync(this.path, 0);
    this.file = this.newFileState(0);
  }

  /** Deletes the oldest renamed file not written since `quietSinceMs`; returns its path and inode. */
  deleteRotated(quietSinceMs: number): { path: string; ino: number } | undefined {
    const i = this.rotated.findIndex((r) => r.lastWriteMs < quietSinceMs && r.path !== this.file.path);
    if (i < 0) return undefined;
    const [r] = this.rotated.splice(i, 1);
    const ino = Number(statSync(r!.path).ino);
    unlinkSync(r!.path);
    return { path: r!.path, ino };
  }

  private newFileState(offset: number): FileState {
    return { path: this.path, name: basename(this.path), offset, line: 1 };
  }

  private enter(line: Line): void {
    this.book.wrote(line, {
      family: this.name,
      file: this.file.name,
      line: this.file.line,
      offset: this.file.offset,
      afterFault: this.currentFault(),
    });
    this.file.offset += line.bytes.length;
    this.file.line += 1;
  }

  private touched(): void {
    const r = this.rotated.find((x) => x.path === this.file.path);
    if (r) r.lastWriteMs = Date.now();
  }
}
