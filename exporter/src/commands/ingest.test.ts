import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/config';
import { ingestLedgerSpec } from './ingest';

describe("ingest's ledger", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-ingest-ledger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = (extra: string) => {
    const file = join(dir, `c${Math.random()}.yaml`);
    writeFileSync(file, `prices: prices.yaml\nsources:\n  - { name: gw, paths: gw.log }\n${extra}`);
    return loadConfig(file);
  };

  it("caps DuckDB at 128MB unless the configuration says, whether the file is --db's or the config's", () => {
    expect(ingestLedgerSpec('rel/l.duckdb', undefined)).toEqual({
      engine: 'duckdb',
      path: resolve('rel/l.duckdb'),
      memoryLimit: '128MB',
    });
    expect(ingestLedgerSpec(undefined, config(''))).toEqual({
      engine: 'duckdb',
      path: join(dir, 'data/ledger.duckdb'),
      memoryLimit: '128MB',
    });
    const capped = config('ledger_memory_limit: 1GB\n');
    expect(ingestLedgerSpec(undefined, capped)).toMatchObject({ memoryLimit: '1GB' });
    expect(ingestLedgerSpec('/data/other.duckdb', capped)).toEqual({
      engine: 'duckdb',
      path: '/data/other.duckdb',
      memoryLimit: '1GB',
    });
  });

  it('leaves a PostgreSQL ledger as it is', () => {
    expect(ingestLedgerSpec('postgres://tl@db:5432/tl', undefined)).toMatchObject({ engine: 'postgres' });
    expect(ingestLedgerSpec(undefined, config('ledger: postgres://tl@db:5432/tl\n'))).not.toHaveProperty('memoryLimit');
  });
});
