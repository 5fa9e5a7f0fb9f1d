/**
 * Chooses DuckDB's allocator options for the command this process runs, before any import loads DuckDB
 * (imported by cli.ts right after threadPool: jemalloc reads them once, at its first allocation, and the commands'
 * modules load DuckDB as they are imported). `serve` commits a few lines at a time and keeps freed pages for the
 * next commit; every other command gets the bulk load's options (ledger/duckdb/allocatorOptions.ts).
 */
import { FOLLOWER_ALLOCATOR_CONF, useAllocatorConf } from './ledger/duckdb/allocatorOptions';

if (process.argv[2] === 'serve') useAllocatorConf(FOLLOWER_ALLOCATOR_CONF);
