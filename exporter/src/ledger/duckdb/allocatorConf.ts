/**
 * Options for DuckDB's allocator, set before DuckDB is loaded: every module that loads `@duckdb/node-api`
 * imports this first. libduckdb carries its own jemalloc, which reads `DUCKDB_JE_MALLOC_CONF` once, at its first
 * allocation; the options there override DuckDB's built-in ones.
 *
 * DuckDB's own options keep a freed page for 1 s as dirty, then 1 s more as "muzzy" (given back with MADV_FREE,
 * which Linux still counts in the process's RSS until it needs the memory). A batch's commit frees its rows at
 * once (~100 MB for 125,000), so during `ingest` jemalloc held 110-165 MB resident for 35-140 MB in use (its own
 * statistics, 1M lines). Here a dirty page goes back to the kernel (MADV_DONTNEED) after 250 ms: the same ingest
 * peaked at 360-366 MB instead of 394-409 MB, for the same CPU time. Giving pages back at once (0 ms) took the
 * peak to 320-330 MB but doubled ingest's CPU time (bench/README.md "Footprint").
 *
 * A `DUCKDB_JE_MALLOC_CONF` set in the environment is kept as it is.
 */
export const DUCKDB_ALLOCATOR_CONF = 'dirty_decay_ms:250,muzzy_decay_ms:0';

process.env.DUCKDB_JE_MALLOC_CONF ??= DUCKDB_ALLOCATOR_CONF;
