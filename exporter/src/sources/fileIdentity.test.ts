import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, FileState, holdsContentOf, identityOf, Observation } from './fileIdentity';

describe('classify', () => {
  const seen = (o: Partial<Observation>): Observation => ({
    size: 100,
    sameContent: true,
    atWatchedPath: true,
    linked: true,
    ...o,
  });
  it.each<[string, Observation | undefined, FileState]>([
    ['nothing new', seen({}), 'same'],
    ['more bytes', seen({ size: 150 }), 'grown'],
    ['shorter than what was read', seen({ size: 40 }), 'truncated'],
    ['one byte shorter than what was read', seen({ size: 99 }), 'truncated'],
    ['one byte more', seen({ size: 101 }), 'grown'],
    ['shorter, first bytes changed too', seen({ size: 40, sameContent: false }), 'truncated'],
    ['first bytes changed, as long or longer', seen({ size: 150, sameContent: false }), 'replaced'],
    ['renamed away', seen({ atWatchedPath: false }), 'rotated'],
    ['renamed away and grown', seen({ size: 150, atWatchedPath: false }), 'rotated'],
    ['deleted, still open', seen({ linked: false, atWatchedPath: false }), 'gone'],
    ['deleted after it was truncated', seen({ size: 0, linked: false, atWatchedPath: false }), 'truncated'],
    ['not found at all', undefined, 'gone'],
  ])('%s: %s', (_, observation, state) => {
    expect(classify(100, observation)).toBe(state);
  });
});

describe('file identity', () => {
  it('is the same content when the first bytes it was taken of are unchanged, however much was added', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tl-identity-')), 'f');
    writeFileSync(path, 'abc');
    const fh = await open(path, 'r');
    try {
      const young = await identityOf(fh, '1:2', 3);
      expect(young.fingerprintLen).toBe(3);
      writeFileSync(path, 'abcdef');
      expect(await holdsContentOf(fh, 6, young)).toBe(true);
      expect(await holdsContentOf(fh, 2, young)).toBe(false); // shorter than its fingerprint
      writeFileSync(path, 'xbcdef');
      expect(await holdsContentOf(fh, 6, young)).toBe(false);
      expect((await identityOf(fh, '1:2', 5000)).fingerprintLen).toBe(1024);
    } finally {
      await fh.close();
    }
  });
});
