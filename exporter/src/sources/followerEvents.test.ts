import { assertNever, describeEvent, FOLLOWER_EVENT_NAMES, FollowerEvent } from './followerEvents';

describe('follower events in the log', () => {
  const path = '/var/log/gw/app.log';
  it.each<[FollowerEvent, 'info' | 'warn', string]>([
    [{ event: 'added', path, offset: 0 }, 'info', '/var/log/gw/app.log: following from byte 0'],
    [{ event: 'resumed', path, offset: 120 }, 'info', '/var/log/gw/app.log: resuming at byte 120'],
    [
      { event: 'rotated', path, offset: 7 },
      'info',
      '/var/log/gw/app.log: rotated away; reading it to its end from byte 7',
    ],
    [
      { event: 'gone', path, offset: 7 },
      'info',
      '/var/log/gw/app.log: deleted; reading what is left of it from byte 7',
    ],
    [
      { event: 'truncated', path, offset: 300 },
      'info',
      '/var/log/gw/app.log: truncated (300 bytes had been read); reading it again from its start',
    ],
    [
      { event: 'replaced', path, offset: 300 },
      'info',
      '/var/log/gw/app.log: its first bytes are not those read before (rewritten, or a new file on a reused inode; 300 bytes had been read); reading it from its start',
    ],
    [
      { event: 'copyRecovered', path, copy: '/var/log/gw/app.log.1', offset: 64 },
      'info',
      '/var/log/gw/app.log: reading the lines not read before it was truncated or moved from its copy /var/log/gw/app.log.1, from byte 64',
    ],
    [{ event: 'finished', path, offset: 900 }, 'info', '/var/log/gw/app.log: read to its end (900 bytes) and closed'],
    [
      { event: 'lost', path, offset: 900, why: 'rotated away and its copy not found' },
      'warn',
      '/var/log/gw/app.log: rotated away and its copy not found; bytes after offset 900 of that file were not read',
    ],
    [
      { event: 'lineTooLong', path, line: 12, offset: 4096 },
      'warn',
      '/var/log/gw/app.log:12: line at byte 4096 is longer than max_line_bytes; skipped and quarantined',
    ],
    [
      { event: 'incompleteLastLine', path, line: 3, offset: 200, bytes: 17 },
      'warn',
      '/var/log/gw/app.log:3: has not grown for rotate_wait_ms and ends in 17 bytes from byte 200 that are not a whole line (no final newline, not a whole JSON text); held until the writer completes them',
    ],
    [
      { event: 'tooManyFiles', matched: 12, limit: 10 },
      'warn',
      '12 files match the patterns, more than max_files (10): 2 of them are not followed until others are gone; narrow the patterns (e.g. to the current date folder) or raise max_files',
    ],
    [
      { event: 'cannotOpen', path, error: new Error('EACCES: permission denied') },
      'warn',
      '/var/log/gw/app.log: cannot open: EACCES: permission denied',
    ],
  ])('describes %j', (event, level, message) => {
    expect(describeEvent(event)).toEqual({ level, message });
  });

  it('names every event once', () => {
    expect([...FOLLOWER_EVENT_NAMES].sort()).toEqual([
      'added',
      'cannotOpen',
      'copyRecovered',
      'finished',
      'gone',
      'incompleteLastLine',
      'lineTooLong',
      'lost',
      'replaced',
      'resumed',
      'rotated',
      'tooManyFiles',
      'truncated',
    ]);
  });

  it('refuses an event it does not know, showing it', () => {
    expect(() => describeEvent({ event: 'moved', path } as unknown as FollowerEvent)).toThrow(
      'unexpected {"event":"moved","path":"/var/log/gw/app.log"}'
    );
    expect(() => assertNever('x' as never)).toThrow('unexpected "x"');
  });
});
