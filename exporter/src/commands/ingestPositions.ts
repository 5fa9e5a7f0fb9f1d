import { statSync } from 'node:fs';
import type { ReadPosition } from '../ledger/ledger';
import { fileKeyOf } from '../sources/fileIdentity';

/**
 * The saved read positions that concern the files of this `tokenledger ingest` run. Every run shares the
 * source name `ingest`, so the ledger also holds positions of files other runs read; handing those to the
 * follower would report each of them as rotated away and lost. A position belongs to this run when it is
 * the same file (device and inode: a file moved since is resumed) or the same path (a file rotated by rename
 * since the last run is found beside its old path and finished).
 */
export function positionsOfFiles(saved: readonly ReadPosition[], files: readonly string[]): ReadPosition[] {
  const paths = new Set(files);
  const keys = new Set<string>();
  for (const f of files) {
    try {
      keys.add(fileKeyOf(statSync(f, { bigint: true })));
    } catch {
      // vanished since it was checked: the follower does not find it either
    }
  }
  return saved.filter((p) => keys.has(p.fileKey) || paths.has(p.path));
}
