import type { GatewayFormat, ParseRejection, UsageRecord } from '../types';
import { completeShape, detectFormat, partialShape } from './detect';
import { FieldError } from './fieldError';
import { jsonErrorPosition } from './jsonError';
import { applyMapping, Mapping } from './mapping';
import { PRESETS } from './presets';

/** How one source's lines are read: a forced format, or auto-detection with optional per-format mappings. */
export interface ParserOptions {
  format: GatewayFormat | 'auto';
  /** Mapping per format; a missing entry uses the built-in preset. `generic` has no preset. */
  mappings: Partial<Record<GatewayFormat, Mapping>>;
}

export interface ParsedLine {
  format: GatewayFormat;
  record: UsageRecord;
}

// Descriptions V8 gives before "[in JSON] at position N": grammar only, never input text. Anything else
// (notably `Unexpected token 'x', "...text..." is not valid JSON`) quotes the line and is not repeated.
const V8_JSON_ERRORS = new Set([
  'Bad control character in string literal',
  'Bad escaped character',
  'Bad Unicode escape',
  'Exponent part is missing a number',
  "Expected ',' or '}' after property value",
  "Expected ',' or ']' after array element",
  "Expected ':' after property name",
  'Expected double-quoted property name',
  "Expected property name or '}'",
  'No number after minus sign',
  'Unexpected non-whitespace character after JSON',
  'Unterminated fractional number',
  'Unterminated string',
]);

/**
 * Why a text is not JSON, without a single character of it: the line may be a secret or a prompt. The
 * position V8 reports (a UTF-16 index) is turned into a byte offset within the line.
 */
export function invalidJsonMessage(text: string, error: unknown): string {
  const v8 = error instanceof Error ? error.message : '';
  if (/^Unexpected end of JSON input/.test(v8)) return 'not valid JSON: unexpected end of input';
  const at = jsonErrorPosition(v8);
  if (at) {
    const bytes = Buffer.byteLength(text.slice(0, at.index), 'utf8');
    const what = V8_JSON_ERRORS.has(at.description)
      ? `: ${at.description[0]!.toLowerCase()}${at.description.slice(1)}`
      : '';
    return `not valid JSON at byte offset ${bytes} of the line${what}`;
  }
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return 'not valid JSON: the line does not start with "{"';
  return 'not valid JSON: unexpected character';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class LineParser {
  constructor(private readonly options: ParserOptions) {}

  /** Parses one JSON text (a line, or a whole pretty-printed object). Never throws. */
  parse(text: string): ParsedLine | ParseRejection {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      return { reason: 'invalid_json', message: invalidJsonMessage(text, e) };
    }
    if (!isObject(obj)) return { reason: 'invalid_json', message: 'a usage line must be a JSON object' };
    return this.parseObject(obj, text);
  }

  parseObject(obj: Record<string, unknown>, rawText: string): ParsedLine | ParseRejection {
    const format = this.formatOf(obj);
    if (format === undefined) {
      return {
        reason: 'unrecognized_format',
        message:
          this.options.format === 'auto'
            ? 'not a LiteLLM, Kong or Envoy AI Gateway usage record, and no generic mapping is configured'
            : `not a ${this.options.format} usage record`,
      };
    }
    const mapping = this.options.mappings[format] ?? (format === 'generic' ? undefined : PRESETS[format]);
    if (!mapping)
      return { reason: 'unrecognized_format', message: 'format generic needs a mapping in the source config' };
    try {
      return { format, record: applyMapping(obj, mapping, rawText) };
    } catch (e) {
      if (e instanceof FieldError) return e.toRejection();
      throw e;
    }
  }

  private formatOf(obj: Record<string, unknown>): GatewayFormat | undefined {
    const forced = this.options.format;
    if (forced === 'generic') return 'generic';
    if (forced !== 'auto') {
      const detected = detectFormat(obj);
      return detected === forced || detected === undefined ? forced : undefined;
    }
    // A configured generic mapping reads every line that is not a complete gateway shape; without one, a line
    // that only looks like a gateway's goes to it, to be refused naming the field it lacks.
    return completeShape(obj) ?? (this.options.mappings.generic ? 'generic' : partialShape(obj));
  }
}
