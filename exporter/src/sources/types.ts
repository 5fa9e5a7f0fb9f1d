import type { FramedText } from '../parse/framer';
import type { ReadPosition } from '../ledger/ledger';

/** What a source hands the pipeline: texts read from one file (or stdin) and where reading now stands. */
export interface SourceRead {
  /** The file the texts came from ("-" for stdin), for reject messages. */
  path: string;
  texts: FramedText[];
  /** The position to commit with these texts' records; undefined for stdin, which has no position. */
  position: ReadPosition | undefined;
}

export type ReadHandler = (read: SourceRead) => Promise<void>;

/** Unread bytes of one file, for the lag metrics. */
export interface Backlog {
  path: string;
  bytes: number;
}
