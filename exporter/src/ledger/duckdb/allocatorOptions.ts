/**
 * Options for DuckDB's allocator: libduckdb carries its own jemalloc, which reads `DUCKDB_JE_MALLOC_CONF` once, at
 * its first allocation, so they count only if set before DuckDB loads (allocatorConf.ts for any process, cli.ts's
 * `allocatorForCommand` for `serve`). They override DuckDB's built-in ones: keep a freed page 1 s as dirty, then 1 s
 * more as "muzzy" (given back with MADV_FREE, which Linux still counts in the process's RSS until it needs the
 * memory). Both kinds give muzzy pages back at once; how long a dirty page is kept is what they trade.
 */

/**
 * For bulk loads (`ingest`, and any process that does not choose): a dirty page goes back to the kernel after
 * 250 ms. A batch's commit frees its rows at once (~100 MB for 125,000), so with DuckDB's options `ingest` of 1M
 * lines held 110-165 MB resident for 35-140 MB in use and peaked at 394-409 MB; with these, 360-366 MB for the same
 * CPU time. Giving pages back at once (0 ms) took the peak to 320-330 MB but doubled the CPU time
 * (bench/README.md "Footprint").
 */
export const BULK_ALLOCATOR_CONF = 'dirty_decay_ms:250,muzzy_decay_ms:0';

/**
 * For `serve`, which once caught up commits a few lines every `poll_interval_ms` (500 ms by default): a dirty page is
 * kept for 5 s, so that the pages one commit frees are still there for the next. Handed back after 250 ms, every
 * commit faulted its memory in again: serve following a log at 100 lines/s took 328-393 ms of CPU a second against
 * 236-254 with these, at 1,000 lines/s 544-584 against 344-354 (bench/README.md "Following a live log"), for ~25 MB more resident
 * while it follows; an idle serve has handed everything back 5 s after its last commit. A serve reading a large
 * backlog peaks higher (an `ingest` of 1M lines with these: 435-449 MB instead of 379).
 */
export const FOLLOWER_ALLOCATOR_CONF = 'dirty_decay_ms:5000,muzzy_decay_ms:0';

/**
 * Sets the options unless the process already has others: a user's own `DUCKDB_JE_MALLOC_CONF` is kept, but not the
 * bulk load's, which any process that loaded the ledger sets and passes on to what it starts (a test or a bench
 * starting `serve`), and which was not chosen for this one.
 */
export function useAllocatorConf(conf: string): void {
  const set = process.env.DUCKDB_JE_MALLOC_CONF;
  if (set === undefined || set === BULK_ALLOCATOR_CONF) process.env.DUCKDB_JE_MALLOC_CONF = conf;
}
