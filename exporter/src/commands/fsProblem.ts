import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
};

/** Why a file system call failed, in words, with the error code kept for searching: "permission denied (EACCES)". */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words = code === undefined ? undefined : WORDS[code];
  return words ? `${words} (${code})` : (e as Error).message;
}

/** The nearest existing ancestor of `path` that is not a directory, if any: what ENOTDIR and mkdir's EEXIST are about. */
export function fileInTheWay(path: string): string | undefined {
  for (let p = path; ; p = dirname(p)) {
    try {
      return statSync(p).isDirectory() ? undefined : p;
    } catch {
      if (dirname(p) === p) return undefined;
    }
  }
}

/**
 * Creates `dir` and its parents, for a file the command is about to write. Returns why it cannot, naming the
 * path in the way when a part of it is a file; undefined when the directory is there.
 */
export function ensureDirectory(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const blocker = code === 'EEXIST' || code === 'ENOTDIR' ? fileInTheWay(dir) : undefined;
    return blocker ? `${blocker} is a file, not a directory` : `cannot create directory ${dir}: ${fsReason(e)}`;
  }
}
