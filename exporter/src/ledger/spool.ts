import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A ledger's spool: the directory where a batch's encoded rows wait for its commit (rows.ts EncodedRows). Its
 * files matter only until their batch is committed: a process that ended before (kill -9) reads those lines
 * again from its committed positions, so what it left is removed when the next one opens the ledger.
 */

/** Makes `dir` an empty spool (DuckDB's, beside its file: one writer at a time holds the file's lock). */
export function emptySpool(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const PRIVATE_PREFIX = 'tokenledger-spool-';

/**
 * A spool of this process's own in the system's temporary directory, for an engine without a directory of its
 * own (PostgreSQL, where several ledgers may be open in one process). Spools of processes that are gone are
 * removed first.
 */
export function privateSpool(): string {
  const root = tmpdir();
  for (const name of readdirSync(root)) {
    const pid = Number(/^tokenledger-spool-(\d+)-/.exec(name)?.[1]);
    if (pid && !alive(pid)) rmSync(join(root, name), { recursive: true, force: true });
  }
  return mkdtempSync(join(root, `${PRIVATE_PREFIX}${process.pid}-`));
}

/** Removes a spool and what is left in it. */
export function removeSpoolDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process, running
  }
}
