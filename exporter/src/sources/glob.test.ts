import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandPattern, patternProblems } from './glob';

describe('source patterns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-glob-'));
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'logs', 'a.jsonl'), '');
  writeFileSync(join(dir, 'logs', 'b.log'), '');

  it('expands wildcards in the file name to the files only, sorted', () => {
    mkdirSync(join(dir, 'logs', 'c.jsonl'));
    expect(expandPattern(join(dir, 'logs', '*.jsonl'))).toEqual([join(dir, 'logs', 'a.jsonl')]);
  });

  it('finds nothing wrong when a file matches', () => {
    expect(patternProblems([join(dir, 'logs', '*.jsonl')])).toEqual([]);
    expect(patternProblems([join(dir, 'nothing-*.jsonl'), join(dir, 'logs', 'b.log')])).toEqual([]);
  });

  it('says when a plain path is a directory, suggesting a glob', () => {
    expect(patternProblems([join(dir, 'logs')])).toEqual([
      `${join(dir, 'logs')} is a directory; give the files in it, e.g. ${join(dir, 'logs', '*.jsonl')}`,
      `no file matches ${join(dir, 'logs')} yet; it is read as soon as one appears`,
    ]);
  });

  it('says when no pattern matches a file yet', () => {
    expect(patternProblems([join(dir, 'gw-*.jsonl')])).toEqual([`no file matches ${join(dir, 'gw-*.jsonl')} yet; it is read as soon as one appears`]);
  });
});
