import { closeSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { expandPattern, hasWildcard, validatePattern } from '../sources/glob';
import { fileInTheWay, fsReason } from './fsProblem';

/** A LOGFILE argument (or a file it matched) that cannot be read, and why. */
export interface UnreadableFile {
  path: string;
  reason: string;
}

export interface LogFiles {
  /** Absolute paths of the files that can be read, in argument order, each once. */
  readable: string[];
  unreadable: UnreadableFile[];
}

/**
 * Sorts the LOGFILE arguments of `tokenledger ingest` into files that can be read and those that cannot
 * (missing, a directory, no permission, a pattern that matches nothing), each with the reason.
 */
export function checkLogFiles(args: readonly string[]): LogFiles {
  const readable = new Set<string>();
  const unreadable: UnreadableFile[] = [];
  const check = (shown: string, abs: string) => {
    const reason = whyUnreadable(abs);
    if (reason) unreadable.push({ path: shown, reason });
    else readable.add(abs);
  };
  for (const arg of args) {
    if (!hasWildcard(arg)) {
      check(arg, resolve(arg));
      continue;
    }
    const problem = validatePattern(arg);
    if (problem) {
      unreadable.push({ path: arg, reason: problem });
      continue;
    }
    const matches = expandPattern(arg);
    if (matches.length === 0) {
      const dir = dirname(resolve(arg));
      // A directory with wildcards is a pattern too: nothing to say about it beyond no match.
      const dirProblem = hasWildcard(dir) ? undefined : whyNotDirectory(dir);
      unreadable.push({ path: arg, reason: dirProblem ? `no file matches: ${dir}: ${dirProblem}` : 'no file matches' });
    }
    for (const m of matches) check(m, m);
  }
  return { readable: [...readable], unreadable };
}

/** Why the file at `path` cannot be read, or undefined when it can. */
export function whyUnreadable(path: string): string | undefined {
  let isFile: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'is a directory, not a file (give the files in it, e.g. a glob like dir/*.jsonl)';
    isFile = st.isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'ENOTDIR') {
      const blocker = fileInTheWay(dirname(path));
      if (blocker) return `no such file: ${blocker} is a file, not a directory`;
    }
    return `cannot read: ${fsReason(e)}`;
  }
  if (!isFile) return 'not a regular file';
  try {
    closeSync(openSync(path, 'r'));
  } catch (e) {
    return `cannot read: ${fsReason(e)}`;
  }
  return undefined;
}

function whyNotDirectory(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : 'not a directory';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : fsReason(e);
  }
}
