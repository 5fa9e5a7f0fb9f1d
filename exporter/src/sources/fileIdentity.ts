import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A file is known by device:inode plus a fingerprint of its first bytes. The inode follows a file across
 * renames; the fingerprint catches inode reuse and a file truncated and rewritten while we were away.
 */
export const FINGERPRINT_BYTES = 1024;

export function fileKeyOf(st: { dev: bigint | number; ino: bigint | number }): string {
  return `${st.dev}:${st.ino}`;
}

export async function fingerprint(fh: FileHandle, length: number): Promise<string> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, 0);
  return createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex');
}

/** Files beside `path` whose name starts with its name: where logrotate puts rotated copies (app.log.1, app.log-20250101). */
export function rotationSiblings(path: string): string[] {
  const dir = dirname(path);
  const name = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n !== name && n.startsWith(name)).map((n) => join(dir, n));
}

export interface FoundFile {
  path: string;
  key: string;
  size: number;
}

/** Looks among the rotation siblings of `path` for a file matching `test` (by key or fingerprint). */
export async function findSibling(path: string, test: (f: FoundFile, fh: FileHandle) => Promise<boolean>): Promise<FoundFile | undefined> {
  for (const candidate of rotationSiblings(path)) {
    let fh: FileHandle | undefined;
    try {
      const st = statSync(candidate, { bigint: true });
      if (!st.isFile()) continue;
      fh = await open(candidate, 'r');
      const found = { path: candidate, key: fileKeyOf(st), size: Number(st.size) };
      if (await test(found, fh)) return found;
    } catch {
      // vanished or unreadable: not the one
    } finally {
      await fh?.close();
    }
  }
  return undefined;
}
