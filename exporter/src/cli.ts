#!/usr/bin/env node
// First: sizes the thread pool before any import can queue work on it, and chooses DuckDB's allocator options
// before any import loads DuckDB.
import './threadPool';
import './allocatorForCommand';
import { ConfigError } from './config/config';
import { UsageError } from './commands/args';
import { INGEST_USAGE, IngestError, runIngest } from './commands/ingest';
import { REPORT_USAGE, runReport } from './commands/report';
import { runServe, SERVE_USAGE } from './commands/serve';
import { HASH_TOKEN_USAGE, runHashToken } from './commands/hashToken';
import { MIGRATE_LEDGER_USAGE, runMigrateLedger } from './commands/migrateLedger';
import { REPRICE_USAGE, RepriceError, runReprice } from './commands/reprice';
import { LedgerError } from './ledger/ledger';
import { PriceBookError } from './pricing/priceBook';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
  serve: { run: runServe, usage: SERVE_USAGE },
  ingest: { run: runIngest, usage: INGEST_USAGE },
  report: { run: runReport, usage: REPORT_USAGE },
  'hash-token': { run: runHashToken, usage: HASH_TOKEN_USAGE },
  'migrate-ledger': { run: runMigrateLedger, usage: MIGRATE_LEDGER_USAGE },
  reprice: { run: runReprice, usage: REPRICE_USAGE },
};

const HELP = `tokenledger: LLM gateway logs in, an exact priced ledger and Prometheus metrics out.

${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n\n')}
`;

/** Errors the user can act on: printed as one line, exit 1. Anything else is a bug: printed with its stack. */
const EXPECTED = [ConfigError, PriceBookError, LedgerError, IngestError, RepriceError];

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`tokenledger: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tokenledger ${name}: ${e.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (EXPECTED.some((cls) => e instanceof cls)) {
      process.stderr.write(`tokenledger ${name}: ${(e as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`tokenledger ${name}: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
