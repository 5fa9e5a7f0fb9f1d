import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
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
  let doc: unknown;
  try {
    doc = parseYaml(content); // YAML is a superset of JSON
  } catch (e) {
    throw new PriceBookError(`${file}: not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new PriceBookError(`${file}: expected a mapping at the top level`);
  const obj = doc as Record<string, unknown>;
  if ('models' in obj) return parseYamlPriceBook(obj, file, content);
  const looksLitellm = Object.values(obj).some((v) => typeof v === 'object' && v !== null && 'input_cost_per_token' in v);
  if (looksLitellm) return parseLitellmPriceBook(obj, file, content, litellmEffectiveFromMs);
  throw new PriceBookError(`${file}: not a price book: expected a top-level "models" key (TokenLedger format) or LiteLLM entries with input_cost_per_token`);
}

export function loadPriceBooks(files: readonly string[], litellmEffectiveFromMs?: number): PriceBook {
  if (files.length === 0) throw new PriceBookError('no price book given');
  return mergePriceBooks(files.map((f) => loadPriceBookFile(f, litellmEffectiveFromMs)));
}
