import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLedgerContract } from './ledgerContract';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeLedgerContract(
  'DuckDB',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-contract-'));
    dirs.push(dir);
    return { engine: 'duckdb', path: join(dir, 'ledger.duckdb') };
  },
  false
);
