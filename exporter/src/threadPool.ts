/**
 * Sizes libuv's thread pool before anything uses it (imported first by cli.ts; libuv reads the variable once,
 * when its first task is queued). DuckDB's statements, file reads and writes and zlib all run on this pool:
 * with libuv's default of 4, two queries (READ_CONNECTIONS), a commit and the follower's reads would already
 * fill it. An explicit UV_THREADPOOL_SIZE is kept.
 */
const THREAD_POOL_SIZE = 16;
process.env.UV_THREADPOOL_SIZE ??= String(THREAD_POOL_SIZE);
