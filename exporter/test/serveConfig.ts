import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_PRICES } from './helpers';

/** Writes a `serve` config following `pattern` as LiteLLM (with `extra` YAML appended) into `dir`; returns its path. */
export function writeServeConfig(dir: string, pattern: string, extra = ''): string {
  writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
  const config = join(dir, 'tokenledger.yaml');
  writeFileSync(
    config,
    `ledger: ledger.duckdb
rejects_file: rejects.jsonl
prices: prices.yaml
listen: 127.0.0.1:0
poll_interval_ms: 50
rotate_wait_ms: 300
batch_lines: 500
sources:
  - name: gw
    paths: ${JSON.stringify(pattern)}
    format: litellm
${extra}`
  );
  return config;
}
