import type { OtlpItems } from './items';
import { messageAt, messagesAt, plainValue } from './objectForm';

/**
 * The log records of an ExportLogsServiceRequest (object form) as texts of our formats, one per record. A
 * record's body is the gateway's usage line: a string body is that line as written (the Collector's filelog
 * receiver puts each line there); a map (kvlist) body is the JSON object itself (what a receiver that parses
 * JSON, or a gateway that logs through an OpenTelemetry SDK, sends), turned back into its JSON text. Any other
 * body (a number, an array, none) becomes its JSON text too, which the parser refuses as it refuses such a line
 * in a file ("a usage line must be a JSON object"), so every record is read or refused in one place. Resource,
 * scope and record attributes are not read: they describe where the line came from, not the request.
 */
export function logRecordTexts(request: Record<string, unknown>): OtlpItems {
  const items: OtlpItems = { texts: [], skipped: 0 };
  for (const [resourceLogs, r] of messagesAt(request, 'resourceLogs', 'request'))
    for (const [scopeLogs, s] of messagesAt(resourceLogs, 'scopeLogs', r))
      for (const [record, where] of messagesAt(scopeLogs, 'logRecords', s)) {
        const body = messageAt(record, 'body', where);
        const value = body === undefined ? null : plainValue(body, `${where}.body`);
        items.texts.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value) });
      }
  return items;
}
