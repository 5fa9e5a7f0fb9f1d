import type { OtlpItems } from './items';
import {
  attributeObject,
  IdEncoding,
  idAt,
  messageAt,
  messagesAt,
  nanosToMs,
  OtlpDecodeError,
  unixNanoAt,
} from './objectForm';

/**
 * GenAI spans (OpenTelemetry semantic conventions for generative AI, open-telemetry/semantic-conventions
 * model/gen-ai/registry.yaml at 7b0c0fe1e6d7b7fc857ba496aad7919e368453e7, the last version before they moved to
 * open-telemetry/semantic-conventions-genai) as texts of the `otel` format (presets.ts), one JSON object per span:
 *
 *   {"otel_span": {"id": "<trace id>:<span id>", "start_time_unix_ms", "end_time_unix_ms", "status"},
 *    "attributes": {"gen_ai.request.model": ..., "gen_ai.usage.input_tokens": ..., ...}}
 *
 * A span is usage when it has a `gen_ai.usage.*` attribute; any other span (HTTP, database, an agent's
 * wrapper without usage) is skipped and counted, not refused.
 *
 * Only the attributes the preset can read are kept (KEPT below), so a span's prompt and completion
 * (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`, ...) never reach the
 * parser, the ledger or a reject excerpt.
 */

const USAGE_PREFIX = 'gen_ai.usage.';

const KEPT = new Set([
  // the model, the provider and the completion's id (registry.yaml); gen_ai.system is the provider's deprecated name
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.response.id',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.operation.name',
  // the outcome (model/gen-ai/spans.yaml: error.type is conditionally required on an error)
  'error.type',
  'http.response.status_code',
  // who: user.id (registry user), enduser.id (its deprecated predecessor)
  'user.id',
  'enduser.id',
  // LiteLLM's OpenTelemetry callback writes its StandardLoggingPayload metadata as `metadata.<key>`
  // (BerriAI/litellm litellm/integrations/opentelemetry.py, "LLM CALL METADATA")
  'metadata.user_api_key_hash',
  'metadata.user_api_key_alias',
  'metadata.user_api_key_user_id',
  'metadata.user_api_key_team_id',
  'metadata.user_api_key_team_alias',
]);

/** Span status codes (trace.proto Status.StatusCode): 1 OK, 2 ERROR; 0 UNSET says nothing. */
const STATUS_WORDS: Readonly<Record<number, string>> = { 1: 'ok', 2: 'error' };

function keptAttributes(all: Record<string, unknown>): { attributes: Record<string, unknown>; usage: boolean } {
  const attributes: Record<string, unknown> = {};
  let usage = false;
  for (const [key, value] of Object.entries(all)) {
    const isUsage = key.startsWith(USAGE_PREFIX);
    if (isUsage) usage = true;
    if (isUsage || KEPT.has(key)) attributes[key] = value;
  }
  return { attributes, usage };
}

function statusWord(span: Record<string, unknown>, where: string): string | undefined {
  const code = messageAt(span, 'status', where)?.code;
  if (code === undefined || code === null) return undefined;
  if (typeof code !== 'number')
    throw new OtlpDecodeError(`${where}.status.code: expected a number (OTLP JSON writes enums as numbers)`);
  return STATUS_WORDS[code];
}

export function genAiSpanTexts(request: Record<string, unknown>, ids: IdEncoding): OtlpItems {
  const items: OtlpItems = { texts: [], skipped: 0 };
  for (const [resourceSpans, r] of messagesAt(request, 'resourceSpans', 'request'))
    for (const [scopeSpans, s] of messagesAt(resourceSpans, 'scopeSpans', r))
      for (const [span, where] of messagesAt(scopeSpans, 'spans', s)) {
        const { attributes, usage } = keptAttributes(attributeObject(span, 'attributes', where));
        if (!usage) {
          items.skipped++;
          continue;
        }
        const start = unixNanoAt(span, 'startTimeUnixNano', where);
        const end = unixNanoAt(span, 'endTimeUnixNano', where);
        const traceId = idAt(span, 'traceId', where, ids);
        const spanId = idAt(span, 'spanId', where, ids);
        const otelSpan = {
          // what identifies the request when the span has no gen_ai.response.id
          id: traceId !== undefined && spanId !== undefined ? `${traceId}:${spanId}` : undefined,
          start_time_unix_ms: start === undefined ? undefined : nanosToMs(start),
          end_time_unix_ms: end === undefined ? undefined : nanosToMs(end),
          status: statusWord(span, where),
        };
        items.texts.push({ where, text: JSON.stringify({ otel_span: otelSpan, attributes }) });
      }
  return items;
}
