import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expandPattern, hasWildcard, patternProblems, validatePattern } from './glob';

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
    expect(patternProblems([join(dir, 'gw-*.jsonl')])).toEqual([
      `no file matches ${join(dir, 'gw-*.jsonl')} yet; it is read as soon as one appears`,
    ]);
    const [missing, other] = [join(dir, 'missing.jsonl'), join(dir, 'logs', 'gw-?.log')];
    expect(patternProblems([missing, other])).toEqual([
      `no file matches ${missing}, ${other} yet; it is read as soon as one appears`,
    ]);
  });

  describe('file-name wildcards', () => {
    const names = [
      'a.jsonl',
      'ab.jsonl',
      'abc.jsonl',
      'b.jsonl',
      'c.jsonl',
      'aXjsonl',
      'a+b.log',
      'x[1].log',
      'x1.log',
      'x\\.log',
      'xy.log',
      '(x).log',
      'x.log$',
      'z]1.log',
    ];
    const wild = mkdtempSync(join(tmpdir(), 'tl-glob-names-'));
    for (const n of names) writeFileSync(join(wild, n), '');
    const matches = (pattern: string) => expandPattern(join(wild, pattern)).map((p) => p.slice(wild.length + 1));

    it('takes ? as exactly one character', () => {
      expect(matches('?.jsonl')).toEqual(['a.jsonl', 'b.jsonl', 'c.jsonl']);
      expect(matches('a??.jsonl')).toEqual(['abc.jsonl']);
    });

    it('takes * as any run of characters, none included', () => {
      expect(matches('a*.jsonl')).toEqual(['a.jsonl', 'ab.jsonl', 'abc.jsonl']);
      expect(matches('*.log')).toEqual(['(x).log', 'a+b.log', 'x1.log', 'x[1].log', 'x\\.log', 'xy.log', 'z]1.log']);
    });

    it('takes [...] as one of the characters listed, a backslash among them as itself', () => {
      expect(matches('[ac].jsonl')).toEqual(['a.jsonl', 'c.jsonl']);
      expect(matches('[a-b].jsonl')).toEqual(['a.jsonl', 'b.jsonl']);
      expect(matches('x[\\1].log')).toEqual(['x1.log', 'x\\.log']);
    });

    it('takes a [ without a closing ] as itself, and a ] before a [ as itself', () => {
      expect(matches('x[1*')).toEqual(['x[1].log']);
      expect(matches('z][01].log')).toEqual(['z]1.log']);
    });

    it('takes every other character as itself, the regular expression ones included', () => {
      expect(matches('a.json?')).toEqual(['a.jsonl']);
      expect(matches('a+b.lo?')).toEqual(['a+b.log']);
      expect(matches('(x).lo?')).toEqual(['(x).log']);
      expect(matches('x.log$*')).toEqual(['x.log$']);
      expect(matches('x\\.l?g')).toEqual(['x\\.log']);
    });

    it('reads a pattern relative to the working directory, and gives absolute paths', () => {
      const abc = ['a.jsonl', 'b.jsonl', 'c.jsonl'].map((n) => join(wild, n));
      expect(expandPattern(relative(process.cwd(), join(wild, '?.jsonl')))).toEqual(abc);
      expect(expandPattern(relative(process.cwd(), join(wild, 'b.jsonl')))).toEqual([abc[1]]);
    });
  });

  it('counts *, ? and [ as wildcards, nothing else', () => {
    expect(['a*', 'a?', 'a[b]', 'a[', 'a.b', 'a]', 'a{b,c}'].map(hasWildcard)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('refuses ** inside a name and a pattern ending in **, and takes wildcards in directories', () => {
    expect(validatePattern('/var/log/a**/app.jsonl')).toBe('** must be a whole path segment, as in logs/**/*.json');
    expect(validatePattern('/var/log/**')).toBe(
      'a pattern names files: end it with a file name or a wildcard after **, as in logs/**/*.json'
    );
    for (const ok of ['/var/log/*/app.jsonl', '/var/log/app?/a.jsonl', '/var/log/**/*.json', '/b/2026-*/*.json'])
      expect(validatePattern(ok)).toBeUndefined();
  });

  describe('directory wildcards and **', () => {
    const root = mkdtempSync(join(tmpdir(), 'tl-glob-dirs-'));
    const files = [
      'bucket/2026-11-29/a.json',
      'bucket/2026-11-30/b.json',
      'bucket/2026-11-30/c.txt',
      'bucket/2026-12-01/deep/d.json',
      'bucket/other/e.json',
      'f.json',
    ];
    for (const f of files) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), '');
    }
    mkdirSync(join(root, 'bucket/2026-11-30/dir.json')); // a directory is never a match
    symlinkSync(join(root, 'bucket'), join(root, 'bucket/2026-11-30/loop')); // ** does not follow it round
    const matches = (pattern: string) => expandPattern(join(root, pattern)).map((p) => p.slice(root.length + 1));

    it('matches date folders with a wildcard segment', () => {
      expect(matches('bucket/2026-*/*.json')).toEqual(['bucket/2026-11-29/a.json', 'bucket/2026-11-30/b.json']);
      expect(matches('bucket/2026-11-3?/*')).toEqual(['bucket/2026-11-30/b.json', 'bucket/2026-11-30/c.txt']);
      expect(matches('*/*/deep/*.json')).toEqual(['bucket/2026-12-01/deep/d.json']);
    });

    it('takes ** as any number of directories, none included, without following links to directories', () => {
      expect(matches('**/*.json')).toEqual([
        'bucket/2026-11-29/a.json',
        'bucket/2026-11-30/b.json',
        'bucket/2026-12-01/deep/d.json',
        'bucket/other/e.json',
        'f.json',
      ]);
      expect(matches('bucket/**/d.json')).toEqual(['bucket/2026-12-01/deep/d.json']);
      expect(matches('bucket/2026-11-30/**/*.json')).toEqual(['bucket/2026-11-30/b.json']);
      expect(matches('bucket/**/**/e.json')).toEqual(['bucket/other/e.json']);
    });

    it('follows a link to a directory that a wildcard segment matches', () => {
      expect(matches('bucket/2026-11-30/l*/other/*.json')).toEqual(['bucket/2026-11-30/loop/other/e.json']);
    });
  });

  it('finds nothing in a directory that does not exist, nor for a plain path that does not', () => {
    expect(expandPattern(join(dir, 'missing', '*.jsonl'))).toEqual([]);
    expect(expandPattern(join(dir, 'logs', 'missing.jsonl'))).toEqual([]);
    expect(expandPattern(join(dir, 'logs', 'a.jsonl'))).toEqual([join(dir, 'logs', 'a.jsonl')]);
  });

  it('says nothing about a directory whose name has a wildcard character when the pattern is a glob', () => {
    mkdirSync(join(dir, 'd*'));
    expect(patternProblems([join(dir, 'd*')])).toEqual([
      `no file matches ${join(dir, 'd*')} yet; it is read as soon as one appears`,
    ]);
  });
});
