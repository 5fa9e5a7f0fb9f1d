import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * File patterns for sources: wildcards (`*`, `?`, `[abc]`) in the file name only, e.g.
 * `/var/log/litellm/*.jsonl`. A pattern without wildcards is a plain path. Results are sorted, so files
 * are read in a stable order; directories and vanished files are left out.
 */

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

export function validatePattern(pattern: string): string | undefined {
  if (hasWildcard(dirname(pattern)))
    return `wildcards are only supported in the file name, not in directories: ${pattern}`;
  return undefined;
}

export function expandPattern(pattern: string): string[] {
  const abs = resolve(pattern);
  if (!hasWildcard(abs)) return isFile(abs) ? [abs] : [];
  const dir = dirname(abs);
  const re = nameRegex(basename(abs));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .map((n) => join(dir, n))
    .filter(isFile)
    .sort();
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
