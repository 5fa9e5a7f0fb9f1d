import { Dirent, readdirSync, statSync } from 'node:fs';
import { join, parse, resolve, sep } from 'node:path';

/**
 * File patterns for sources: wildcards (`*`, `?`, `[abc]`) in any path segment, directories included (a
 * bucket's date folders: `/data/litellm-logs/2026-*` then `/*.json`), and `**` as a whole segment for any
 * number of directories, none included (`/var/log/gw/**` then `/*.json`). A pattern without wildcards is a
 * plain path. Results are sorted, so files are read in a stable order; directories and vanished files are
 * left out. `**` does not descend into symbolic links to directories (no cycles); a wildcard segment
 * follows them.
 */

const GLOBSTAR = '**';

export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

function nameRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, close).replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** What is wrong with `pattern`, if anything (it does not name the pattern: the caller shows it). */
export function validatePattern(pattern: string): string | undefined {
  const segments = pattern.split(sep);
  if (segments.some((seg) => seg.includes(GLOBSTAR) && seg !== GLOBSTAR))
    return '** must be a whole path segment, as in logs/**/*.json';
  if (segments[segments.length - 1] === GLOBSTAR)
    return 'a pattern names files: end it with a file name or a wildcard after **, as in logs/**/*.json';
  return undefined;
}

/** The files `pattern` matches now, as absolute paths, sorted. */
export function expandPattern(pattern: string): string[] {
  const abs = resolve(pattern);
  if (!hasWildcard(abs)) return isFile(abs) ? [abs] : [];
  const { root } = parse(abs);
  const segments = abs.slice(root.length).split(sep);
  const found: string[] = [];
  walk(root, segments, found);
  return [...new Set(found)].sort();
}

/** Adds the files under `dir` that `segments` match to `found`. */
function walk(dir: string, segments: readonly string[], found: string[]): void {
  const [segment, ...rest] = segments;
  if (segment === undefined) return;
  const last = rest.length === 0;
  if (segment === GLOBSTAR) {
    walk(dir, rest, found); // no directory at all
    for (const e of entries(dir)) if (e.isDirectory()) walk(join(dir, e.name), segments, found);
    return;
  }
  if (!hasWildcard(segment)) {
    const path = join(dir, segment);
    if (!last) walk(path, rest, found);
    else if (isFile(path)) found.push(path);
    return;
  }
  const re = nameRegex(segment);
  for (const e of entries(dir)) {
    if (!re.test(e.name)) continue;
    const path = join(dir, e.name);
    if (!last) walk(path, rest, found);
    else if (isFile(path)) found.push(path);
  }
}

/** A directory's entries; none when it does not exist or cannot be read. */
function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/**
 * What is likely wrong with a source's patterns when it starts: a plain path that is a directory (never read:
 * only files are), or no pattern matching any file yet (fine if the gateway has not written yet, a typo
 * otherwise). Empty when some file matches.
 */
export function patternProblems(patterns: readonly string[]): string[] {
  const problems: string[] = [];
  for (const pattern of patterns) {
    if (!hasWildcard(pattern) && isDirectory(resolve(pattern)))
      problems.push(`${pattern} is a directory; give the files in it, e.g. ${join(pattern, '*.jsonl')}`);
  }
  if (!patterns.some((p) => expandPattern(p).length > 0))
    problems.push(`no file matches ${patterns.join(', ')} yet; it is read as soon as one appears`);
  return problems;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
