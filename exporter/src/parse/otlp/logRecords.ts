import type { OtlpItems } from './items';
import { messageAt, messagesAt, plainValue } from './objectForm';

/**
 * The log records of an ExportLogsServiceRequest (object form) as texts of our formats. A record's body is the
 * gateway's usage line: a string body is that line as written (the Collector's filelog receiver puts each line
 * there); a map (kvlist) body is the JSON object itself (what a receiver that parses JSON, or a gateway that logs
 * through an OpenTelemetry SDK, sends), turned back into its JSON text. Resource, scope and record attributes are
 * not read: they describe where the line came from, not the request. Any other body is refused, named.
 */
export function logRecordTexts(request: Record<string, unknown>): OtlpItems {
  const items: OtlpItems = { texts: [], refused: [], skipped: 0 };
  for (const [resourceLogs, r] of messagesAt(request, 'resourceLogs', 'request'))
    for (const [scopeLogs, s] of messagesAt(resourceLogs, 'scopeLogs', r))
      for (const [record, where] of messagesAt(scopeLogs, 'logRecords', s)) {
        const body = messageAt(record, 'body', where);
        const value = body === undefined ? null : plainValue(body, `${where}.body`);
        if (typeof value === 'string') items.texts.push({ where, text: value });
        else if (typeof value === 'object' && value !== null && !Array.isArray(value))
          items.texts.push({ where, text: JSON.stringify(value) });
        else
          items.refused.push({
            where,
            rejection:
              value === null
                ? { reason: 'missing_field', field: 'body', message: 'a log record without a body' }
                : {
                    reason: 'invalid_field',
                    field: 'body',
                    message: `body: expected a string (one log line) or a map (a JSON object), got ${
                      Array.isArray(value) ? 'an array' : typeof value
                    }`,
                  },
          });
      }
  return items;
}
