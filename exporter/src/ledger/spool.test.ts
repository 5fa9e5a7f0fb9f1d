import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { emptySpool, privateSpool, removeSpoolDir } from './spool';

describe('a spool', () => {
  it('beside a ledger file is emptied of what an earlier process left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenledger-spool-test-'));
    try {
      const spool = join(dir, 'ledger.duckdb.spool');
      mkdirSync(spool);
      writeFileSync(join(spool, '0-1-short.tsv'), 'left by a process killed before its commit\n');
      expect(emptySpool(spool)).toBe(spool);
      expect(readdirSync(spool)).toEqual([]);
      removeSpoolDir(spool);
      expect(existsSync(spool)).toBe(false);
      removeSpoolDir(spool); // gone already: nothing to do
      expect(readdirSync(emptySpool(spool))).toEqual([]); // made when missing
      const nested = join(dir, 'ledgers', 'a.duckdb.spool');
      expect(readdirSync(emptySpool(nested))).toEqual([]); // and the directories it goes in
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("of a process's own is made in the temporary directory, and those of processes that are gone are removed", () => {
    // A process that has ended: its spool is litter.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    const litter = join(tmpdir(), `tokenledger-spool-${deadPid}-abc123`);
    mkdirSync(litter, { recursive: true });
    writeFileSync(join(litter, '0-1-whole.tsv'), 'x\n');
    // Not a spool: the name only holds one's.
    const notSpool = join(tmpdir(), `kept-tokenledger-spool-${deadPid}-abc123`);
    mkdirSync(notSpool, { recursive: true });
    const first = privateSpool();
    const second = privateSpool();
    try {
      expect(existsSync(litter)).toBe(false);
      expect(existsSync(notSpool)).toBe(true);
      expect(dirname(first)).toBe(tmpdir());
      expect(basename(first)).toMatch(new RegExp(`^tokenledger-spool-${process.pid}-`));
      // Several ledgers in one process (a migration's two ends, tests): one spool each, neither removing the other.
      expect(second).not.toBe(first);
      expect([existsSync(first), readdirSync(second)]).toEqual([true, []]);
    } finally {
      removeSpoolDir(first);
      removeSpoolDir(second);
      rmSync(notSpool, { recursive: true, force: true });
    }
  });
});
