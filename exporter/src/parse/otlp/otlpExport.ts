import { isRejection } from '../../types';
import type { LineParser, ParsedLine } from '../lineParser';
import { genAiSpanTexts } from './genAiSpans';
import type { OtlpItems, OtlpRefusal } from './items';
import { logRecordTexts } from './logRecords';
import { decodeRequest, OtlpEncoding, OtlpSignal } from './request';

/** The texts of one export request: log records' bodies (/v1/logs) or GenAI spans as `otel` objects (/v1/traces). */
export function exportTexts(signal: OtlpSignal, encoding: OtlpEncoding, body: Uint8Array): OtlpItems {
  const { request, ids } = decodeRequest(signal, encoding, body);
  return signal === 'logs' ? logRecordTexts(request) : genAiSpanTexts(request, ids);
}

/** What parses one text: a LineParser. */
export type TextParser = Pick<LineParser, 'parse'>;

export interface ParsedExport {
  /** Records read, with their place in the request. */
  records: (ParsedLine & { where: string })[];
  /** Records the parser refused: quarantined and counted in the partial success. */
  refused: OtlpRefusal[];
  skipped: number;
}

/**
 * One export request through the line parser, as a file's lines go: every text becomes a record or a
 * refusal. Throws OtlpDecodeError when the body is not a request of the signal (a 400, nothing kept).
 */
export function parseExport(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  body: Uint8Array,
  parser: TextParser
): ParsedExport {
  const items = exportTexts(signal, encoding, body);
  const out: ParsedExport = { records: [], refused: [], skipped: items.skipped };
  for (const { where, text } of items.texts) {
    const parsed = parser.parse(text);
    if (isRejection(parsed)) out.refused.push({ where, reason: parsed.reason, message: parsed.message });
    else out.records.push({ ...parsed, where });
  }
  return out;
}
