/**
 * What the follower decided about a file, as typed events: each is logged and counted
 * (`tokenledger_source_file_events_total{source,event}`), never a free-form warning to be parsed.
 */
export type FollowerEvent =
  /** A file not seen before is followed from `offset` (0, or its end for `start_at: end` at startup). */
  | { event: 'added'; path: string; offset: number }
  /** A file read before is followed again from its committed position. */
  | { event: 'resumed'; path: string; offset: number }
  /** Its watched path no longer leads to it (renamed, or deleted): it is read to its end, then finished. */
  | { event: 'rotated'; path: string; offset: number }
  /** It was deleted: what is left is read through the open handle, then it is finished. */
  | { event: 'gone'; path: string; offset: number }
  /** It shrank below what was read (copytruncate, `: > file`): it is read again from its start. */
  | { event: 'truncated'; path: string; offset: number }
  /** Its first bytes changed (rewritten, or a new file on the reused inode of a deleted one): read from its start. */
  | { event: 'replaced'; path: string; offset: number }
  /** Lines written before a copytruncate, or before the file was copied away, are read from the copy. */
  | { event: 'copyRecovered'; path: string; copy: string; offset: number }
  /** A rotated file was read to its end and closed. */
  | { event: 'finished'; path: string; offset: number }
  /** The file (or the copy of its unread end) cannot be found: bytes after `offset` were not read. */
  | { event: 'lost'; path: string; offset: number; why: string }
  /** A line longer than max_line_bytes was skipped (and quarantined as line_too_long). */
  | { event: 'lineTooLong'; path: string; line: number; offset: number }
  /**
   * It has not grown for rotate_wait_ms and ends in `bytes` bytes from `offset` that are not a whole line or
   * object (no final newline, and not a whole JSON text): held until the writer completes them.
   */
  | { event: 'incompleteLastLine'; path: string; line: number; offset: number; bytes: number }
  /** The patterns match more files than max_files: `matched - limit` of them are not followed for now. */
  | { event: 'tooManyFiles'; matched: number; limit: number }
  /** A matching file cannot be opened; tried again at every poll, reported once. */
  | { event: 'cannotOpen'; path: string; error: Error };

export type FollowerEventName = FollowerEvent['event'];

export const FOLLOWER_EVENT_NAMES: readonly FollowerEventName[] = [
  'added',
  'resumed',
  'rotated',
  'gone',
  'truncated',
  'replaced',
  'copyRecovered',
  'finished',
  'lost',
  'lineTooLong',
  'incompleteLastLine',
  'tooManyFiles',
  'cannotOpen',
];

export type FollowerEventHandler = (e: FollowerEvent) => void;

/** How an event reads in the log, and whether it needs an operator's attention. */
export function describeEvent(e: FollowerEvent): { level: 'info' | 'warn'; message: string } {
  switch (e.event) {
    case 'added':
      return { level: 'info', message: `${e.path}: following from byte ${e.offset}` };
    case 'resumed':
      return { level: 'info', message: `${e.path}: resuming at byte ${e.offset}` };
    case 'rotated':
      return { level: 'info', message: `${e.path}: rotated away; reading it to its end from byte ${e.offset}` };
    case 'gone':
      return { level: 'info', message: `${e.path}: deleted; reading what is left of it from byte ${e.offset}` };
    case 'truncated':
      return {
        level: 'info',
        message: `${e.path}: truncated (${e.offset} bytes had been read); reading it again from its start`,
      };
    case 'replaced':
      return {
        level: 'info',
        message: `${e.path}: its first bytes are not those read before (rewritten, or a new file on a reused inode; ${e.offset} bytes had been read); reading it from its start`,
      };
    case 'copyRecovered':
      return {
        level: 'info',
        message: `${e.path}: reading the lines not read before it was truncated or moved from its copy ${e.copy}, from byte ${e.offset}`,
      };
    case 'finished':
      return { level: 'info', message: `${e.path}: read to its end (${e.offset} bytes) and closed` };
    case 'lost':
      return {
        level: 'warn',
        message: `${e.path}: ${e.why}; bytes after offset ${e.offset} of that file were not read`,
      };
    case 'lineTooLong':
      return {
        level: 'warn',
        message: `${e.path}:${e.line}: line at byte ${e.offset} is longer than max_line_bytes; skipped and quarantined`,
      };
    case 'incompleteLastLine':
      return {
        level: 'warn',
        message: `${e.path}:${e.line}: has not grown for rotate_wait_ms and ends in ${e.bytes} bytes from byte ${e.offset} that are not a whole line (no final newline, not a whole JSON text); held until the writer completes them`,
      };
    case 'tooManyFiles':
      return {
        level: 'warn',
        message: `${e.matched} files match the patterns, more than max_files (${e.limit}): ${e.matched - e.limit} of them are not followed until others are gone; narrow the patterns (e.g. to the current date folder) or raise max_files`,
      };
    case 'cannotOpen':
      return { level: 'warn', message: `${e.path}: cannot open: ${e.error.message}` };
    default:
      return assertNever(e);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
