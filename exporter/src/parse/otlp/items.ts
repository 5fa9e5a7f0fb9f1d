import type { ParseRejection } from '../../types';

/** One log record or span of a request, named by its place in it (`resourceLogs[0].scopeLogs[1].logRecords[2]`). */
export interface OtlpText {
  where: string;
  /** A text of one of our formats, for the line parser. */
  text: string;
}

export interface OtlpRefusal {
  where: string;
  rejection: ParseRejection;
  /** The text the parser refused, for the reject file's redacted excerpt; none when refused before parsing. */
  text?: string;
}

/** What a request's records became before parsing: texts to parse, records refused here, records skipped. */
export interface OtlpItems {
  texts: OtlpText[];
  refused: OtlpRefusal[];
  /** Records that are not usage and are not an error either (spans without gen_ai usage). */
  skipped: number;
}
