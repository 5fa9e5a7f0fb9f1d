import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchOf, reject } from '../../test/ledgerContract';
import { DuckDbLedger } from '../ledger/duckdb/duckDbLedger';
import type { Ledger } from '../ledger/ledger';
import { RejectFile } from './rejectFile';

/** The (line, batch) of every entry in the file. */
function entries(path: string): [number, number][] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { line: number; batch: number })
    .map((e) => [e.line, e.batch]);
}

describe('RejectFile', () => {
  let dir: string;
  let ledger: Ledger;
  let file: RejectFile;
  /** Commits a batch that quarantines these lines, as the pipeline does; returns its batch number. */
  const commitRejects = async (...lines: number[]) =>
    (await ledger.commitBatch(batchOf(ledger, [], { rejects: lines.map((line) => reject(line)) }))).batch;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-rejects-'));
    ledger = await DuckDbLedger.open(join(dir, 'ledger.duckdb'), { node: 'test' });
    file = new RejectFile(join(dir, 'rejects.jsonl'));
  });
  afterEach(async () => ledger.close());

  it('adds at start what the ledger quarantined after the file last entry (killed between a commit and its append)', async () => {
    file.append([reject(1)], await commitRejects(1));
    const second = await commitRejects(2, 3); // its append never happened
    expect(await file.recover(ledger)).toBe(2);
    expect(entries(file.path)).toEqual([
      [1, second - 1],
      [2, second],
      [3, second],
    ]);
    expect(await file.recover(ledger)).toBe(0); // nothing twice
  });

  it('with no file, adds only the ledger last batch of rejects, not the whole history', async () => {
    await commitRejects(1);
    const last = await commitRejects(2);
    expect(await file.recover(ledger)).toBe(1);
    expect(entries(file.path)).toEqual([[2, last]]);
  });

  it('leaves a file whose last entry names no batch (written by an older version) as it is', async () => {
    await commitRejects(1);
    writeFileSync(file.path, `${JSON.stringify({ line: 1, reason: 'invalid_json' })}\n`);
    expect(await file.recover(ledger)).toBe(0);
    appendFileSync(file.path, '{"line": 2, "batch": 0}\n');
    expect(await file.recover(ledger)).toBe(1);
  });
});
