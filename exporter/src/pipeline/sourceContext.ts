import type { OtherLines, SourceConfig } from '../config/config';
import type { ParserOptions } from '../parse/lineParser';

/**
 * A configured source as the pipeline sees it. Plain data (no parser instance): it is sent to the parse
 * worker, and each thread builds its own parser from it.
 */
export interface SourceContext {
  name: string;
  parser: ParserOptions;
  /** Prefix of the idempotency key; by default the detected format, so two sources reading the same logs never double count. */
  keyNamespace: string | undefined;
  /** `ignore`: lines that are not usage records (see `isOtherLine`) are counted as skipped, not rejected. */
  otherLines: OtherLines;
}

export function sourceContext(s: SourceConfig): SourceContext {
  return {
    name: s.name,
    parser: { format: s.format, mappings: s.mappings },
    keyNamespace: s.keyNamespace,
    otherLines: s.otherLines,
  };
}
