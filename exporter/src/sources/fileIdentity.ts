import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/**
 * A file is known by device:inode plus a fingerprint of its first bytes. The inode follows a file across
 * renames; the fingerprint tells a file truncated and rewritten, or a new file on a reused inode, from the
 * one we read.
 */
export const FINGERPRINT_BYTES = 1024;

export interface FileIdentity {
  /** device:inode */
  key: string;
  /** sha256 of the first `fingerprintLen` bytes. */
  fingerprint: string;
  fingerprintLen: number;
}

export function fileKeyOf(st: { dev: bigint | number; ino: bigint | number }): string {
  return `${st.dev}:${st.ino}`;
}

async function hashOfFirst(fh: FileHandle, length: number): Promise<string> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, 0);
  return createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex');
}

/** The identity of an open file of `size` bytes: its fingerprint covers up to FINGERPRINT_BYTES. */
export async function identityOf(fh: FileHandle, key: string, size: number): Promise<FileIdentity> {
  const fingerprintLen = Math.min(size, FINGERPRINT_BYTES);
  return { key, fingerprint: await hashOfFirst(fh, fingerprintLen), fingerprintLen };
}

/**
 * Whether an open file of `size` bytes starts with the bytes `known` was taken of: the one "same content"
 * test, used for tracked files, saved positions, finished files and copies alike.
 */
export async function holdsContentOf(fh: FileHandle, size: number, known: FileIdentity): Promise<boolean> {
  return size >= known.fingerprintLen && (await hashOfFirst(fh, known.fingerprintLen)) === known.fingerprint;
}

/**
 * `holdsContentOf` for one open file against many known identities (a new file against every file known):
 * its first bytes are read once, and hashed once per fingerprint length.
 */
export async function contentTester(fh: FileHandle, size: number): Promise<(known: FileIdentity) => boolean> {
  const head = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  const hashes = new Map<number, string>();
  return (known) => {
    if (known.fingerprintLen > bytesRead) return false;
    let hash = hashes.get(known.fingerprintLen);
    if (hash === undefined)
      hashes.set(
        known.fingerprintLen,
        (hash = createHash('sha256').update(head.subarray(0, known.fingerprintLen)).digest('hex'))
      );
    return hash === known.fingerprint;
  };
}

/**
 * What became of a known file, of which `offset` bytes were read:
 * - same / grown: it is where it was, with the content we read, and nothing new / something new;
 * - truncated: it is shorter than what we read (copytruncate, `: > file`);
 * - replaced: its first bytes changed (truncated and rewritten past our offset, or a new file on a reused inode);
 * - rotated: it is intact but its watched path no longer leads to it (renamed);
 * - gone: it no longer exists (deleted, or not found anywhere we look).
 */
export type FileState = 'same' | 'grown' | 'truncated' | 'replaced' | 'rotated' | 'gone';

/** What was seen of the file with the known file's device:inode. */
export interface Observation {
  size: number;
  /** `holdsContentOf` the known identity (for a size unchanged since it was last checked, the last answer). */
  sameContent: boolean;
  /** Whether a path the source's patterns match still leads to it. */
  atWatchedPath: boolean;
  /** False once it is deleted (it is still read through an open handle). */
  linked: boolean;
}

/** Undefined `seen`: not found at all. What happened to the content comes first: a truncated file may also have been deleted since. */
export function classify(offset: number, seen: Observation | undefined): FileState {
  if (seen === undefined) return 'gone';
  if (seen.size < offset) return 'truncated';
  if (!seen.sameContent) return 'replaced';
  if (!seen.linked) return 'gone';
  if (!seen.atWatchedPath) return 'rotated';
  return seen.size > offset ? 'grown' : 'same';
}
