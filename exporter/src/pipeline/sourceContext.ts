import type { SourceConfig } from '../config/config';
import { LineParser } from '../parse/lineParser';
import type { SourceContext } from './pipeline';

export function sourceContext(s: SourceConfig): SourceContext {
  return { name: s.name, parser: new LineParser({ format: s.format, mappings: s.mappings }), keyNamespace: s.keyNamespace };
}
