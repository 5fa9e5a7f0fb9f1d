import type { GatewayFormat, ParseRejection, UsageRecord } from '../types';
import { detectFormat } from './detect';
import { FieldError } from './fieldError';
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
      return { reason: 'invalid_json', message: `not valid JSON: ${(e as Error).message}` };
    }
    if (!isObject(obj)) return { reason: 'invalid_json', message: 'a usage line must be a JSON object' };
    return this.parseObject(obj, text);
  }

  parseObject(obj: Record<string, unknown>, rawText: string): ParsedLine | ParseRejection {
    const format = this.formatOf(obj);
    if (format === undefined) {
      return { reason: 'unrecognized_format', message: this.options.format === 'auto' ? 'not a LiteLLM, Kong or Envoy AI Gateway usage record, and no generic mapping is configured' : `not a ${this.options.format} usage record` };
    }
    const mapping = this.options.mappings[format] ?? (format === 'generic' ? undefined : PRESETS[format]);
    if (!mapping) return { reason: 'unrecognized_format', message: 'format generic needs a mapping in the source config' };
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
    const detected = detectFormat(obj);
    if (forced !== 'auto') return detected === forced || detected === undefined ? forced : undefined;
    return detected ?? (this.options.mappings.generic ? 'generic' : undefined);
  }
}
