/** One log record or span of a request, named by its place in it (`resourceLogs[0].scopeLogs[1].logRecords[2]`). */
export interface OtlpText {
  where: string;
  /** A text of one of our formats, for the line parser. */
  text: string;
}

/** A record the parser refused, named by its place in the request, and why (a RejectReason and its message). */
export interface OtlpRefusal {
  where: string;
  reason: string;
  message: string;
}

/** What a request's records became before parsing: texts to parse, and records skipped. */
export interface OtlpItems {
  texts: OtlpText[];
  /** Records that are not usage and are not an error either (spans without gen_ai usage). */
  skipped: number;
}
