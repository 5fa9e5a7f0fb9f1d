/**
 * Sets DuckDB's allocator options before DuckDB loads: every module that loads `@duckdb/node-api` imports this
 * first. A process that chose none (cli.ts chooses for `serve`) gets the bulk load's (allocatorOptions.ts).
 */
import { BULK_ALLOCATOR_CONF, useAllocatorConf } from './allocatorOptions';

useAllocatorConf(BULK_ALLOCATOR_CONF);
