import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { jsonErrorPosition } from '../parse/jsonError';
import { parseLitellmPriceBook } from './litellmPriceBook';
import { mergePriceBooks, PriceBook, PriceBookError } from './priceBook';
import { parseYamlPriceBook } from './yamlPriceBook';

/**
 * Reads a price book from a file, telling the two formats apart by content: a top-level `models` mapping is
 * our format (YAML or JSON); an object of entries with `input_cost_per_token` is LiteLLM's price map.
 */
export function loadPriceBookFile(file: string, litellmEffectiveFromMs?: number): PriceBook {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PriceBookError(`${file}: cannot read price book: ${(e as Error).message}`);
  }
  const doc = parseDocument(file, content);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new PriceBookError(`${file}: expected a mapping at the top level`);
  const obj = doc as Record<string, unknown>;
  if ('models' in obj) return parseYamlPriceBook(obj, file, content);
  const looksLitellm = Object.values(obj).some(
    (v) => typeof v === 'object' && v !== null && 'input_cost_per_token' in v
  );
  if (looksLitellm) return parseLitellmPriceBook(obj, file, content, litellmEffectiveFromMs);
  throw new PriceBookError(
    `${file}: not a price book: expected a top-level "models" key (TokenLedger format) or LiteLLM entries with input_cost_per_token`
  );
}

/**
 * A file that starts with `{` or `[` is JSON (LiteLLM's map, or our format as JSON) and is parsed strictly: as
 * YAML, which is a superset of JSON, a broken JSON file can load with values quietly missing, or fail with a
 * message about YAML flow maps. Anything else is YAML.
 */
function parseDocument(file: string, content: string): unknown {
  if (/^\s*[{[]/.test(content)) {
    try {
      return JSON.parse(content);
    } catch (e) {
      throw new PriceBookError(`${file}: not valid JSON: ${jsonErrorWhere((e as Error).message, content)}`);
    }
  }
  try {
    return parseYaml(content);
  } catch (e) {
    throw new PriceBookError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** V8's JSON.parse message without the quoted input, with the line and column when it gives a position. */
function jsonErrorWhere(message: string, content: string): string {
  const at = jsonErrorPosition(message);
  if (!at) return message.split(/, "|\n/)[0]!;
  const before = content.slice(0, at.index);
  return `${at.description} at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
}

export function loadPriceBooks(files: readonly string[], litellmEffectiveFromMs?: number): PriceBook {
  if (files.length === 0) throw new PriceBookError('no price book given');
  return mergePriceBooks(files.map((f) => loadPriceBookFile(f, litellmEffectiveFromMs)));
}
