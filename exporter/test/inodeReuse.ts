import { renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Creates an empty file at `path` on inode `ino`, freed just before: ext4 and tmpfs hand a freed inode to a
 * file created soon after, but another process on the machine (a parallel test) may create one first. Empty
 * candidates are created beside `path` (hidden names, matched by no log pattern) until one gets the inode, or
 * until `timeoutMs`. The candidate holding it (or the last one) becomes `path`; the others are removed.
 * Returns whether the inode was reused, so that a test that needs the reuse can say it did not happen.
 */
export async function createFileOnInode(path: string, ino: number | bigint, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const aside: string[] = [];
  let got = false;
  try {
    for (let n = 0; !got && Date.now() < deadline; n++) {
      const candidate = join(dirname(path), `.inode-candidate-${n}`);
      writeFileSync(candidate, '');
      aside.push(candidate);
      got = BigInt(statSync(candidate).ino) === BigInt(ino);
      if (!got && n >= 10) await new Promise((r) => setTimeout(r, 20));
    }
    renameSync(aside.pop()!, path);
  } finally {
    for (const c of aside) unlinkSync(c);
  }
  return got;
}
