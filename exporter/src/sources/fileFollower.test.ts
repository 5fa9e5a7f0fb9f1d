import {
  appendFileSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFollower } from './fileFollower';
import { fileKeyOf } from './fileIdentity';
import { FollowerHarness } from '../../test/followerHarness';
import { createFileOnInode } from '../../test/inodeReuse';

const record = (i: number) => JSON.stringify({ id: `r-${i}` });
const recordLines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => `${record(from + k)}\n`).join('');
const records = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => record(from + k));

describe('FileFollower', () => {
  let dir: string;
  let log: string;
  let h: FollowerHarness;
  const options = (extra: Partial<ConstructorParameters<typeof FollowerHarness>[0]> = {}) => ({
    patterns: [join(dir, 'app.log')],
    maxLineBytes: 1024,
    rotateWaitMs: 500,
    startAt: 'beginning' as const,
    ...extra,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-follower-'));
    log = join(dir, 'app.log');
  });
  afterEach(async () => h?.stop());

  it('reads the lines a copytruncate made while it was stopped from the copy', async () => {
    writeFileSync(log, recordLines(0, 10));
    h = await new FollowerHarness(options()).start();
    await h.poll();
    await h.stop();
    appendFileSync(log, recordLines(10, 15)); // written after the last commit: only in the copy once truncated
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, recordLines(15, 20));
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(0, 20));
    expect(h.eventNames()).toEqual(['added', 'copyRecovered', 'truncated', 'finished']);
  });

  it('reads a file left empty by a copytruncate while stopped once it grows, though its empty prefix matches any copy', async () => {
    writeFileSync(log, recordLines(0, 10));
    h = await new FollowerHarness(options()).start();
    await h.poll();
    appendFileSync(log, recordLines(10, 12));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    await h.settle();
    appendFileSync(log, recordLines(12, 20));
    await h.poll();
    await h.stop();
    appendFileSync(log, recordLines(20, 22));
    copyFileSync(log, `${log}.2`);
    truncateSync(log, 0); // restarted while the truncated file is still empty
    await h.start();
    await h.settle();
    appendFileSync(log, recordLines(22, 30));
    await h.settle();
    await h.restart();
    appendFileSync(log, recordLines(30, 32));
    await h.settle();
    expect(h.texts).toEqual(records(0, 32));
  });

  it('commits a position for every file before reading any, so a file not reached before a kill is found in its copy', async () => {
    // Found by the fault suite: after each restart, serve was killed while reading another file's backlog;
    // app.log, copied and truncated while it was down, never had a position for its new content, so after the
    // next copytruncate nothing led to the copy holding that content.
    const first = join(dir, 'a.log'); // read first: it sorts before app.log
    writeFileSync(first, recordLines(1000, 1001));
    writeFileSync(log, recordLines(0, 10));
    h = await new FollowerHarness(options({ patterns: [first, log], chunkBytes: 64 })).start();
    await h.poll();
    await h.stop();
    appendFileSync(first, recordLines(1001, 1030)); // a backlog
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, recordLines(10, 15)); // written before the restart
    await h.start();
    appendFileSync(log, recordLines(15, 17)); // written after it, before the first poll
    expect(await h.pollUntilKilled(5)).toBe(true); // killed while a.log's backlog is read (64-byte reads)
    appendFileSync(log, recordLines(17, 20));
    copyFileSync(log, `${log}.2`);
    truncateSync(log, 0);
    appendFileSync(log, recordLines(20, 22));
    await h.start();
    await h.settle();
    expect([...h.texts].sort()).toEqual([...records(0, 22), ...records(1000, 1030)].sort());
  });

  it('says so when a file was truncated while stopped and no copy holds its unread end', async () => {
    writeFileSync(log, recordLines(0, 10));
    h = await new FollowerHarness(options()).start();
    await h.poll();
    await h.stop();
    truncateSync(log, 0);
    appendFileSync(log, recordLines(10, 12));
    await h.start();
    await h.poll();
    expect(h.texts).toEqual(records(0, 12));
    expect(h.events.slice(1)).toEqual([
      { event: 'lost', path: log, offset: 130, why: expect.stringContaining('no copy') },
      { event: 'truncated', path: log, offset: 130 },
    ]);
  });

  it('reads on after a too-long line whose newline comes in a later read', async () => {
    writeFileSync(log, `${record(0)}\n${'x'.repeat(150)}\n${record(1)}\n`);
    h = await new FollowerHarness(options({ maxLineBytes: 64, chunkBytes: 16 })).start();
    await h.poll();
    expect(h.texts).toEqual([record(0), 'TOO_LONG@13', record(1)]);
    expect(h.events.map((e) => e.event)).toEqual(['added', 'lineTooLong']);
    expect(h.events[1]).toEqual({ event: 'lineTooLong', path: log, line: 2, offset: 13 });
    await h.restart();
    appendFileSync(log, `${record(2)}\n`);
    await h.poll();
    expect(h.texts).toEqual([record(0), 'TOO_LONG@13', record(1), record(2)]);
  });

  it('reads a new file that got the inode of a finished, deleted one', async () => {
    const patterns = [join(dir, '*.jsonl')];
    const first = join(dir, 'a.jsonl');
    writeFileSync(first, recordLines(0, 3));
    h = await new FollowerHarness(options({ patterns })).start();
    await h.poll();
    const key = fileKeyOf(statSync(first));
    const { ino } = statSync(first);
    unlinkSync(first);
    await h.poll();
    await h.settle(); // finished and closed: its inode is free
    const second = join(dir, 'b.jsonl');
    // This test is about a new file on the freed inode: made sure of, though a parallel test may create files.
    expect(await createFileOnInode(second, ino, 10_000)).toBe(true);
    appendFileSync(second, recordLines(3, 5));
    expect(fileKeyOf(statSync(second))).toBe(key);
    await h.poll();
    expect(h.texts).toEqual(records(0, 5));
    expect(h.eventNames()).toEqual(['added', 'gone', 'finished', 'replaced']);
  });

  it('reads a file on the inode of a finished one committed before a restart', async () => {
    writeFileSync(log, recordLines(0, 4));
    h = await new FollowerHarness(options()).start();
    await h.poll();
    await h.stop();
    const [p] = h.savedPositions;
    // As the ledger holds it after a rotation: the file on this inode was finished, with other content.
    h.follower = new FileFollower({
      ...options(),
      source: 'test',
      events: (e) => h.events.push(e),
      clock: () => h.nowMs,
    });
    await h.follower.init([{ ...p!, finished: true, fingerprint: 'f'.repeat(64), fingerprintLen: 10, offset: 10 }]);
    await h.poll();
    expect(h.texts).toEqual([...records(0, 4), ...records(0, 4)]);
    expect(h.eventNames().slice(1)).toEqual(['replaced']);
  });

  it('finds a rotated file beside its watched path after any number of restarts', async () => {
    writeFileSync(log, recordLines(0, 5));
    h = await new FollowerHarness(options()).start();
    await h.poll();
    await h.stop();
    appendFileSync(log, recordLines(5, 7));
    renameSync(log, `${log}.1`);
    writeFileSync(log, recordLines(100, 101));
    await h.start();
    await h.poll(); // app.log.1 is found beside app.log and read; not finished yet (the writer may still add)
    await h.stop();
    appendFileSync(`${log}.1`, recordLines(7, 9));
    renameSync(`${log}.1`, `${log}.2`);
    await h.start();
    await h.settle();
    expect([...h.texts].sort()).toEqual([...records(0, 9), record(100)].sort());
    expect(h.eventNames()).toEqual(['added', 'added', 'rotated', 'resumed', 'rotated', 'finished']);
  });

  it('with start_at end, starts only files found at its first start at their end; files that appear later from their start', async () => {
    writeFileSync(log, recordLines(0, 5));
    h = await new FollowerHarness(options({ startAt: 'end' })).start();
    await h.poll();
    appendFileSync(log, recordLines(5, 6));
    await h.poll();
    renameSync(log, `${log}.1`);
    writeFileSync(log, recordLines(6, 9)); // written before the next poll
    await h.settle();
    expect(h.texts).toEqual(records(5, 9));
    await h.stop();
    // Stopped, then a rotation: the new file appeared while stopped, it is read from its start too.
    renameSync(log, `${log}.1`);
    writeFileSync(log, recordLines(9, 11));
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(5, 11));
  });

  it('with start_at end, reads a file first found at a later start from its start', async () => {
    const patterns = [join(dir, '*.log')];
    writeFileSync(log, recordLines(0, 2));
    h = await new FollowerHarness(options({ patterns, startAt: 'end' })).start();
    await h.settle();
    expect(h.texts).toEqual([]);
    expect(h.events).toEqual([{ event: 'added', path: log, offset: 26 }]);
    await h.stop();
    writeFileSync(join(dir, 'b.log'), recordLines(2, 4)); // nothing deleted: a new inode, no reuse
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(2, 4));
    expect(h.events.slice(1)).toEqual([
      { event: 'resumed', path: log, offset: 26 },
      { event: 'added', path: join(dir, 'b.log'), offset: 0 },
    ]);
  });

  it('says once that a file cannot be opened, tries again at every poll, and says so again after it could be', async () => {
    writeFileSync(log, recordLines(0, 2));
    let failing = true;
    const refuse = () => {
      if (failing) throw new Error('EACCES: permission denied'); // opening is the first thing that can fail
      return 'auto' as const;
    };
    h = await new FollowerHarness(options({ containerFor: refuse })).start();
    await h.poll();
    await h.poll();
    expect(h.texts).toEqual([]);
    expect(h.events).toEqual([{ event: 'cannotOpen', path: log, error: new Error('EACCES: permission denied') }]);
    failing = false;
    await h.poll();
    expect(h.texts).toEqual(records(0, 2));
    // Renamed away and finished, written to, and back: the same file to open again, and again refused.
    renameSync(log, `${log}.1`);
    await h.settle();
    appendFileSync(`${log}.1`, recordLines(2, 3));
    renameSync(`${log}.1`, log);
    failing = true;
    await h.poll();
    failing = false;
    await h.poll();
    expect(h.texts).toEqual(records(0, 3));
    expect(h.eventNames()).toEqual(['cannotOpen', 'added', 'rotated', 'finished', 'cannotOpen', 'resumed']);
  });

  it('leaves a file replaced between its look and its open to the next poll', async () => {
    writeFileSync(log, recordLines(0, 2));
    let replaceOnce = true;
    const replace = () => {
      if (replaceOnce) {
        replaceOnce = false;
        renameSync(log, `${log}.old`); // kept: the new file cannot get its inode
        writeFileSync(log, recordLines(10, 12));
      }
      return 'auto' as const;
    };
    h = await new FollowerHarness(options({ containerFor: replace })).start();
    expect(h.events).toEqual([]); // the file looked at is not the one opened: not followed
    await h.poll();
    expect(h.texts).toEqual(records(10, 12));
    expect(h.eventNames()).toEqual(['added']);
  });

  it('follows files in path order whatever the order of the patterns, a file under two names once, by its first', async () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    writeFileSync(a, recordLines(0, 1));
    writeFileSync(b, recordLines(1, 2));
    linkSync(a, join(dir, 'c.log')); // a second name of a.log, also matched
    h = await new FollowerHarness(options({ patterns: [join(dir, 'c.log'), b, a] })).start();
    await h.settle();
    expect(h.events).toEqual([
      { event: 'added', path: a, offset: 0 },
      { event: 'added', path: b, offset: 0 },
    ]);
    expect(h.texts).toEqual(records(0, 2));
  });

  it('takes a position committed while its file was empty for none: the file is new', async () => {
    writeFileSync(log, '');
    h = await new FollowerHarness(options()).start();
    await h.settle();
    await h.stop();
    expect(h.savedPositions[0]).toMatchObject({ fingerprintLen: 0, offset: 0 });
    appendFileSync(log, recordLines(0, 2));
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(0, 2));
    expect(h.eventNames()).toEqual(['added', 'added']);
  });

  it("follows a copy found before its original at a restart from the original's position, once", async () => {
    const original = join(dir, 'b.log');
    const copy = join(dir, 'a.log'); // sorts first: found before the original
    writeFileSync(original, recordLines(0, 3));
    h = await new FollowerHarness(options({ patterns: [join(dir, '*.log')] })).start();
    await h.settle();
    await h.stop();
    const [before] = h.savedPositions;
    appendFileSync(original, recordLines(3, 5)); // only in the copy once truncated
    copyFileSync(original, copy);
    truncateSync(original, 0);
    appendFileSync(original, recordLines(5, 6));
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(0, 6));
    expect(h.events.slice(1)).toEqual([
      { event: 'copyRecovered', path: original, copy, offset: before!.offset },
      { event: 'added', path: original, offset: 0 },
    ]);
    await h.restart();
    await h.settle();
    expect(h.texts).toEqual(records(0, 6));
  });

  it('recovers a file copied beside its path and deleted while stopped from the copy, and finishes its old position', async () => {
    writeFileSync(log, recordLines(0, 3));
    h = await new FollowerHarness(options()).start();
    await h.settle();
    await h.stop();
    const [before] = h.savedPositions;
    appendFileSync(log, recordLines(3, 5));
    copyFileSync(log, `${log}.1`);
    unlinkSync(log); // after the copy exists: the copy is not on its inode
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(0, 5));
    expect(h.events.slice(1)).toEqual([
      { event: 'copyRecovered', path: log, copy: `${log}.1`, offset: before!.offset },
      { event: 'finished', path: `${log}.1`, offset: statSync(`${log}.1`).size },
    ]);
    expect(h.savedPositions.find((p) => p.fileKey === before!.fileKey)).toMatchObject({
      offset: before!.offset,
      finished: true,
    });
    await h.restart();
    await h.settle();
    expect(h.texts).toEqual(records(0, 5));
  });

  it('prefers the rotated file itself to a copy of it beside the same path', async () => {
    writeFileSync(log, recordLines(0, 3));
    h = await new FollowerHarness(options()).start();
    await h.settle();
    await h.stop();
    appendFileSync(log, recordLines(3, 4));
    copyFileSync(log, `${log}.0`); // sorts before app.log.1
    renameSync(log, `${log}.1`);
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(0, 4));
    expect(h.eventNames()).toEqual(['added', 'rotated', 'finished']);
    expect(h.events[2]).toMatchObject({ path: `${log}.1` });
  });

  it('says what was lost of a file rotated away while stopped: nothing to find it by, or not found beside its path', async () => {
    writeFileSync(log, '');
    h = await new FollowerHarness(options()).start();
    await h.settle();
    await h.stop();
    appendFileSync(log, recordLines(0, 2));
    renameSync(log, `${log}.1`); // its only position was taken when it was empty
    await h.start();
    await h.settle();
    expect(h.texts).toEqual([]);
    expect(h.events.slice(1)).toEqual([
      {
        event: 'lost',
        path: log,
        offset: 0,
        why: 'rotated away while tokenledger was stopped, before anything of it was read (nothing to recognise it by)',
      },
    ]);
    writeFileSync(log, recordLines(2, 4));
    await h.settle();
    await h.stop();
    appendFileSync(log, recordLines(4, 5));
    renameSync(log, join(dir, 'old-app.log')); // not beside its path: a name that does not start with its name
    rmSync(`${log}.1`);
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(2, 4));
    expect(h.events.at(-1)).toEqual({
      event: 'lost',
      path: log,
      offset: 26,
      why: 'rotated away while tokenledger was stopped and not found beside it',
    });
  });

  it('says what was lost of a file truncated before its growth was read, and no copy holds it', async () => {
    writeFileSync(log, recordLines(0, 10));
    h = await new FollowerHarness(options({ chunkBytes: 16, maxBytesPerPoll: 32 })).start();
    await h.follower.poll(async () => undefined); // its position
    await h.follower.poll(async () => undefined); // 32 of its 130 bytes
    truncateSync(log, 0);
    await h.poll();
    expect(h.events.slice(1)).toEqual([
      { event: 'lost', path: log, offset: 26, why: expect.stringContaining('no copy') },
      { event: 'truncated', path: log, offset: 26 },
    ]);
  });

  it('keeps following a file renamed to a name the patterns also match, under its new name', async () => {
    writeFileSync(join(dir, 'a.log'), recordLines(0, 1));
    h = await new FollowerHarness(options({ patterns: [join(dir, '*.log')] })).start();
    await h.poll();
    renameSync(join(dir, 'a.log'), join(dir, 'b.log'));
    appendFileSync(join(dir, 'b.log'), recordLines(1, 2));
    await h.settle();
    expect(h.texts).toEqual(records(0, 2));
    expect(h.follower.progress()).toEqual([{ path: join(dir, 'b.log'), read: 26, size: 26 }]);
    expect(h.eventNames()).toEqual(['added']);
  });

  it('forgets a finished file only once it has not been seen for longer than the limit', async () => {
    writeFileSync(join(dir, 'a.jsonl'), recordLines(0, 1));
    h = await new FollowerHarness(options({ patterns: [join(dir, '*.jsonl')], forgetFinishedAfterMs: 60_000 })).start();
    await h.poll();
    renameSync(join(dir, 'a.jsonl'), join(dir, 'a.old'));
    await h.settle(); // finished, last seen now
    h.nowMs += 60_000; // exactly the limit: still known
    await h.poll();
    renameSync(join(dir, 'a.old'), join(dir, 'a.jsonl'));
    await h.poll();
    expect(h.texts).toEqual(records(0, 1));
  });

  it('goes on with a truncated file when its copy cannot be opened', async () => {
    writeFileSync(log, recordLines(0, 2));
    let failing = false;
    const refuse = () => {
      if (failing) throw new Error('EACCES: permission denied');
      return 'auto' as const;
    };
    h = await new FollowerHarness(options({ containerFor: refuse })).start();
    await h.poll();
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    failing = true;
    await h.poll();
    expect(h.eventNames()).toEqual(['added', 'cannotOpen', 'truncated']); // all of it was read: nothing lost
    expect(h.events[1]).toMatchObject({ path: `${log}.1` });
    failing = false;
    appendFileSync(log, recordLines(2, 3));
    await h.settle();
    expect(h.texts).toEqual(records(0, 3));
  });

  it('reads a copy the patterns match that could not be opened when it appeared from its copy once it can', async () => {
    writeFileSync(log, recordLines(0, 2));
    let failures = 0;
    const refuseOnce = () => {
      if (failures-- > 0) throw new Error('EACCES: permission denied');
      return 'auto' as const;
    };
    h = await new FollowerHarness(options({ patterns: [`${log}*`], containerFor: refuseOnce })).start();
    await h.settle();
    appendFileSync(log, recordLines(2, 3));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    failures = 1; // the copy, when it is first found
    await h.settle();
    expect(h.texts).toEqual(records(0, 3));
    expect(h.eventNames()).toEqual(['added', 'cannotOpen', 'copyRecovered', 'truncated', 'finished']);
  });

  it('reads a file rotated while stopped that could not be opened at the restart after the next one', async () => {
    writeFileSync(log, recordLines(0, 2));
    let failing = false;
    const refuse = () => {
      if (failing) throw new Error('EACCES: permission denied');
      return 'auto' as const;
    };
    h = await new FollowerHarness(options({ containerFor: refuse })).start();
    await h.settle();
    await h.stop();
    appendFileSync(log, recordLines(2, 3));
    renameSync(log, `${log}.1`);
    failing = true;
    await h.start();
    expect(h.eventNames()).toEqual(['added', 'cannotOpen']);
    await h.stop();
    failing = false;
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(0, 3));
    expect(h.eventNames()).toEqual(['added', 'cannotOpen', 'rotated', 'finished']);
  });

  it('says a file is lost when its directory went away while stopped', async () => {
    mkdirSync(join(dir, 'sub'));
    const inSub = join(dir, 'sub', 'app.log');
    writeFileSync(inSub, recordLines(0, 2));
    h = await new FollowerHarness(options({ patterns: [inSub] })).start();
    await h.settle();
    await h.stop();
    rmSync(join(dir, 'sub'), { recursive: true });
    await h.start();
    await h.settle();
    expect(h.events.slice(1)).toEqual([
      {
        event: 'lost',
        path: inSub,
        offset: 26,
        why: 'rotated away while tokenledger was stopped and not found beside it',
      },
    ]);
  });

  it('closes every file it opened when it is closed', async () => {
    const open = () => readdirSync('/proc/self/fd').length;
    writeFileSync(join(dir, 'a.log'), recordLines(0, 1));
    writeFileSync(join(dir, 'b.log'), recordLines(1, 2));
    const before = open();
    h = await new FollowerHarness(options({ patterns: [join(dir, '*.log')] })).start();
    await h.poll();
    expect(open()).toBe(before + 2);
    await h.stop();
    expect(open()).toBe(before);
    // Files looked into and closed at once: positions checked at a restart, a rotated file searched beside its path.
    appendFileSync(join(dir, 'b.log'), recordLines(2, 3));
    renameSync(join(dir, 'b.log'), join(dir, 'b.log.1'));
    await h.start();
    await h.settle();
    expect(h.texts).toEqual([...records(0, 3)]);
    expect(open()).toBe(before + 1);
    await h.stop();
    expect(open()).toBe(before);
  });

  it('takes no new file for the copy of an empty one', async () => {
    writeFileSync(join(dir, 'a.log'), '');
    h = await new FollowerHarness(options({ patterns: [join(dir, '*.log')] })).start();
    await h.settle();
    writeFileSync(join(dir, 'b.log'), recordLines(0, 1));
    await h.settle();
    expect(h.texts).toEqual(records(0, 1));
    expect(h.eventNames()).toEqual(['added', 'added']);
  });

  it('takes a copy holding exactly what was read of its original for a copy: nothing of it is read again', async () => {
    writeFileSync(log, recordLines(0, 3));
    h = await new FollowerHarness(options({ patterns: [`${log}*`] })).start();
    await h.settle();
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, recordLines(3, 4));
    await h.settle();
    expect(h.texts).toEqual(records(0, 4));
    expect(h.eventNames()).toEqual(['added', 'copyRecovered', 'truncated']);
  });

  it('reads a file truncated and rewritten to the same size between two polls', async () => {
    writeFileSync(log, recordLines(0, 3));
    h = await new FollowerHarness(options()).start();
    await h.poll();
    truncateSync(log, 0);
    appendFileSync(log, recordLines(3, 6)); // as many bytes as before
    await h.poll();
    expect(h.texts).toEqual(records(0, 6));
    expect(h.eventNames()).toEqual(['added', 'replaced']);
  });

  it('follows a copytruncate copy that the patterns also match from where the original was read, not from its start', async () => {
    writeFileSync(log, recordLines(0, 5));
    h = await new FollowerHarness(options({ patterns: [`${log}*`] })).start();
    await h.poll();
    appendFileSync(log, recordLines(5, 8));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, recordLines(8, 9));
    await h.settle();
    expect(h.texts).toEqual(records(0, 9));
    expect(h.eventNames()).toEqual(['added', 'copyRecovered', 'truncated']); // the copy is a watched file: followed, not finished
  });

  it('forgets finished files not seen for a day', async () => {
    const patterns = [join(dir, '*.jsonl')];
    writeFileSync(join(dir, 'a.jsonl'), recordLines(0, 1));
    h = await new FollowerHarness(options({ patterns, forgetFinishedAfterMs: 60_000 })).start();
    await h.poll();
    renameSync(join(dir, 'a.jsonl'), join(dir, 'a.old'));
    await h.poll();
    await h.settle();
    renameSync(join(dir, 'a.old'), join(dir, 'a.jsonl')); // back at a watched path: still finished, not read again
    await h.poll();
    expect(h.texts).toEqual(records(0, 1));
    renameSync(join(dir, 'a.jsonl'), join(dir, 'a.old'));
    h.nowMs += 60_001;
    await h.poll();
    renameSync(join(dir, 'a.old'), join(dir, 'a.jsonl')); // forgotten: read as a new file
    await h.poll();
    expect(h.texts).toEqual(records(0, 1).concat(records(0, 1)));
  });
  it('reads a file whose last line has no newline once it stops growing, once, across restarts and later growth', async () => {
    const patterns = [join(dir, '2026-11-30', '*.json')];
    mkdirSync(join(dir, '2026-11-30'));
    const object = join(dir, '2026-11-30', 'a.json');
    writeFileSync(object, record(0)); // as LiteLLM's S3 logger writes one: one object, no final newline
    h = await new FollowerHarness(options({ patterns })).start();
    await h.poll();
    expect(h.texts).toEqual([]); // the writer may not be done with it yet
    await h.settle(); // not grown for rotate_wait_ms
    expect(h.texts).toEqual(records(0, 1));
    expect(h.savedPositions[0]).toMatchObject({ offset: record(0).length, line: 1, finished: false });
    await h.restart();
    await h.settle();
    expect(h.texts).toEqual(records(0, 1)); // committed with its end: not read again
    appendFileSync(object, `\n${record(1)}\n${record(2)}`); // the writer goes on after all
    await h.settle();
    await h.restart();
    await h.settle();
    expect(h.texts).toEqual(records(0, 3));
    expect(h.savedPositions[0]).toMatchObject({ offset: readFileSync(object).length, line: 3 });
    expect(h.eventNames()).toEqual(['added', 'resumed', 'resumed']);
  });

  it('says once that a file which stopped growing ends in an incomplete line, holds it, and reads it once completed', async () => {
    writeFileSync(log, `${record(0)}\n{"id":"r-`);
    h = await new FollowerHarness(options()).start();
    await h.settle();
    await h.settle();
    expect(h.texts).toEqual(records(0, 1));
    expect(h.events.slice(1)).toEqual([{ event: 'incompleteLastLine', path: log, line: 2, offset: 13, bytes: 9 }]);
    appendFileSync(log, '1"}\n');
    await h.settle();
    expect(h.texts).toEqual(records(0, 2));
    expect(h.eventNames()).toEqual(['added', 'incompleteLastLine']);
  });

  it('commits the position of a file truncated to empty, so that a restart does not take its old lines for lost', async () => {
    writeFileSync(log, recordLines(0, 2));
    h = await new FollowerHarness(options()).start();
    await h.settle();
    truncateSync(log, 0);
    await h.settle();
    expect(h.savedPositions).toEqual([expect.objectContaining({ offset: 0, fingerprintLen: 0 })]);
    await h.restart();
    await h.settle();
    expect(h.eventNames()).toEqual(['added', 'truncated', 'added']);
  });

  it('says so of an incomplete last line that starts at offset 1 too', async () => {
    writeFileSync(log, '\n{"id":"r-');
    h = await new FollowerHarness(options()).start();
    await h.settle();
    expect(h.events.slice(1)).toEqual([{ event: 'incompleteLastLine', path: log, line: 2, offset: 1, bytes: 9 }]);
  });
  it('reports the bytes not read yet, the progress and the partial line held of each file', async () => {
    writeFileSync(log, `${recordLines(0, 10)}{"id":`);
    h = await new FollowerHarness(options({ chunkBytes: 16, maxBytesPerPoll: 32 })).start();
    const size = statSync(log).size;
    expect(h.follower.backlog()).toEqual([{ path: log, bytes: size }]);
    expect(h.follower.progress()).toEqual([{ path: log, read: 0, size }]);
    expect(h.follower.held()).toEqual([]);
    const read: string[] = [];
    const collect = async (r: { texts: { text: string }[] }) => void read.push(...r.texts.map((t) => t.text));
    await h.follower.poll(collect); // its position handed over first, nothing read
    expect(h.follower.progress()).toEqual([{ path: log, read: 0, size }]);
    await h.follower.poll(collect); // at most 32 bytes a poll
    expect(h.follower.progress()).toEqual([{ path: log, read: 32, size }]);
    expect(h.follower.backlog()).toEqual([{ path: log, bytes: size - 32 }]);
    expect(h.follower.held()).toEqual([{ path: log, line: 3, bytes: 6 }]); // 32 - 2 lines of 13 bytes
    while (await h.follower.poll(collect));
    expect(read).toEqual(records(0, 10));
    expect(h.follower.backlog()).toEqual([{ path: log, bytes: 0 }]); // the held partial line is not backlog
    expect(h.follower.held()).toEqual([{ path: log, line: 11, bytes: 6 }]);
    // Grown since: the growth is backlog from the look that sees it, before it is read.
    appendFileSync(log, `"r-10"}\n${recordLines(11, 14)}`);
    const grown = statSync(log).size;
    await h.follower.poll(collect); // its fingerprint grew with it: its position handed over first, nothing read
    expect(h.follower.progress()).toEqual([{ path: log, read: size, size: grown }]);
    expect(h.follower.backlog()).toEqual([{ path: log, bytes: grown - size }]);
    await h.follower.poll(collect);
    expect(h.follower.progress()).toEqual([{ path: log, read: size + 32, size: grown }]);
    expect(h.follower.backlog()).toEqual([{ path: log, bytes: grown - size - 32 }]);
  });

  it('asks to be polled again at once while a backlog remains, not once it has caught up with a growing file', async () => {
    writeFileSync(log, recordLines(0, 100)); // 1,390 bytes: past the fingerprint's 1,024
    h = await new FollowerHarness(options({ chunkBytes: 256, maxBytesPerPoll: 512 })).start();
    const read: string[] = [];
    const collect = async (r: { texts: { text: string }[] }) => void read.push(...r.texts.map((t) => t.text));
    expect(await h.follower.poll(collect)).toBe(true); // its position handed over before any read: committed first
    expect(await h.follower.poll(collect)).toBe(true); // 512 of 1,390 bytes: more to read
    expect(await h.follower.poll(collect)).toBe(true); // 1,024
    expect(await h.follower.poll(collect)).toBe(false); // caught up, though it read: the caller waits its interval
    expect(read).toEqual(records(0, 100));
    // A gateway appending a line or two between polls: each poll reads them and is caught up again.
    for (let i = 100; i < 104; i++) {
      appendFileSync(log, recordLines(i, i + 1));
      expect(await h.follower.poll(collect)).toBe(false);
    }
    expect(read).toEqual(records(0, 104));
    expect(await h.follower.poll(collect)).toBe(false); // and nothing new
  });

  it('reads a file rewritten with its old modification time put back (cp -p) when its size changed', async () => {
    const time = 1_764_633_600; // whole seconds: put back exactly, to the nanosecond
    writeFileSync(log, recordLines(0, 2));
    utimesSync(log, time, time);
    h = await new FollowerHarness(options()).start();
    await h.poll();
    writeFileSync(log, recordLines(10, 13)); // other content, longer, on the same inode
    utimesSync(log, time, time);
    await h.poll();
    expect(h.texts).toEqual([...records(0, 2), ...records(10, 13)]);
    expect(h.eventNames()).toEqual(['added', 'replaced']);
  });

  it('takes a last line without a newline only once the file has not grown for rotate_wait_ms since it was last read', async () => {
    writeFileSync(log, '');
    h = await new FollowerHarness(options()).start();
    await h.poll();
    h.nowMs += 10_000; // idle for long, then written to
    appendFileSync(log, record(0));
    await h.poll();
    expect(h.texts).toEqual([]); // just written: the writer may not be done with it
    h.nowMs += 499;
    await h.poll();
    expect(h.texts).toEqual([]);
    h.nowMs += 1; // rotate_wait_ms (500) since it grew
    await h.poll();
    expect(h.texts).toEqual(records(0, 1));
  });

  it('drains every file to its end at once, a last line without a newline included only when it is whole JSON', async () => {
    const other = join(dir, 'b.log');
    writeFileSync(log, `${recordLines(0, 3)}${record(3)}`);
    writeFileSync(other, `${recordLines(10, 12)}{"id":"r-`);
    const read: string[] = [];
    const positions: { path: string; offset: number; line: number; finished: boolean }[] = [];
    const follower = new FileFollower({
      ...options({ patterns: [log, other], chunkBytes: 8, maxBytesPerPoll: 8 }),
      source: 'test',
      events: () => undefined,
    });
    await follower.init([]);
    await follower.drainAll(async (r) => {
      read.push(...r.texts.map((t) => t.text));
      const { path, offset, line, finished } = r.position!;
      positions.push({ path, offset, line, finished });
    });
    expect(read.sort()).toEqual([...records(0, 4), ...records(10, 12)].sort());
    expect(positions.at(-1)).toEqual({ path: log, offset: statSync(log).size, line: 4, finished: false });
    expect(positions.filter((p) => p.path === other).at(-1)).toEqual({
      path: other,
      offset: 28,
      line: 3,
      finished: false,
    });
    expect(follower.held()).toEqual([{ path: other, line: 3, bytes: 9 }]);
    await follower.close();
  });

  it("decides a file's container wrapper once, on its first line, also when it is resumed past it after a restart", async () => {
    const cri = (i: number) => `2026-12-01T10:00:0${i}.123456789Z stdout F ${record(i)}\n`;
    // A plain JSON log that later holds a line shaped like a CRI record: it stays a plain log.
    writeFileSync(log, recordLines(0, 2));
    h = await new FollowerHarness(options()).start();
    await h.poll();
    await h.restart();
    appendFileSync(log, cri(2));
    await h.poll();
    expect(h.texts).toEqual([...records(0, 2), cri(2).trimEnd()]);
    // A CRI log empty when first followed: decided on its first line once written, not on its empty head.
    const pod = join(dir, 'pod.log');
    writeFileSync(pod, '');
    const p = new FollowerHarness(options({ patterns: [pod] }));
    await p.start();
    await p.poll();
    appendFileSync(pod, `${cri(0)}${cri(1)}`);
    await p.poll();
    await p.restart();
    appendFileSync(pod, cri(2));
    await p.poll();
    await p.stop();
    expect(p.texts).toEqual(records(0, 3));
  });

  it('with more files than max_files, keeps the ones followed, then those with a position, then new ones by path', async () => {
    const patterns = [join(dir, '*.json')];
    const file = (name: string) => join(dir, `${name}.json`);
    const write = (name: string, i: number) => writeFileSync(file(name), `${record(i)}\n`);
    write('c', 0);
    h = await new FollowerHarness(options({ patterns, maxFiles: 2 })).start();
    await h.settle();
    write('d', 1); // exactly max_files: nothing to say
    await h.settle();
    write('a', 2); // sorts first, but the two followed keep their places
    await h.settle();
    expect(h.texts).toEqual(records(0, 2));
    expect(h.events.slice(2)).toEqual([{ event: 'tooManyFiles', matched: 3, limit: 2 }]);
    await h.stop();
    write('b', 3);
    unlinkSync(file('d')); // after b is written: b is not on its inode
    // At the restart: c has a position, a and b are new: c and the first new one by path, followed in path order.
    await h.start();
    await h.settle();
    expect(h.texts).toEqual(records(0, 3));
    expect(h.eventNames().slice(3)).toEqual(['tooManyFiles', 'added', 'resumed', 'lost']);
    expect(h.events.slice(4).map((e) => ('path' in e ? e.path : ''))).toEqual([file('a'), file('c'), file('d')]);
    unlinkSync(file('c')); // two left: within the limit again...
    await h.settle();
    expect(h.texts).toEqual(records(0, 4));
    write('e', 4); // ...and over it once more: said again
    await h.settle();
    expect(h.events.filter((e) => e.event === 'tooManyFiles')).toHaveLength(3);
    expect(h.texts).toEqual(records(0, 4));
  });

  it('follows at most max_files files, says so once, and takes the next one when a followed one is gone', async () => {
    const day = (d: string) => join(dir, d);
    for (const d of ['2026-11-29', '2026-11-30']) mkdirSync(day(d));
    for (let i = 0; i < 4; i++)
      writeFileSync(join(day(i < 2 ? '2026-11-29' : '2026-11-30'), `r${i}.json`), `${record(i)}\n`);
    h = await new FollowerHarness(options({ patterns: [join(dir, '*', '*.json')], maxFiles: 3 })).start();
    await h.settle();
    expect(h.texts).toEqual(records(0, 3));
    expect(h.events.filter((e) => e.event === 'tooManyFiles')).toEqual([
      { event: 'tooManyFiles', matched: 4, limit: 3 },
    ]);
    await h.restart(); // followed before: they keep their places, the fourth still waits
    await h.settle();
    expect(h.texts).toEqual(records(0, 3));
    unlinkSync(join(day('2026-11-29'), 'r0.json'));
    await h.settle();
    await h.settle();
    expect(h.texts).toEqual(records(0, 4));
    expect(h.eventNames().filter((e) => e === 'tooManyFiles')).toHaveLength(2); // once per run
  });
});
