import { basename } from 'node:path';

/** How far one file is read. */
export interface FileProgress {
  path: string;
  read: number;
  size: number;
}

/** What the progress line shows: lines read so far (counted as they are read, not as batches commit) and each open file. */
export interface ProgressSample {
  lines: number;
  files: readonly FileProgress[];
}

/** The progress line of `tokenledger ingest`: "250000 lines (83000 lines/s)  big.jsonl 48%  other.jsonl 100%". */
export function formatProgress(lines: number, seconds: number, files: readonly FileProgress[]): string {
  const rate = Math.round(lines / Math.max(seconds, 0.001));
  const parts = files.map(
    (f) => `${basename(f.path)} ${f.size > 0 ? Math.min(100, Math.floor((f.read / f.size) * 100)) : 100}%`
  );
  return [`${lines} lines (${rate} lines/s)`, ...parts].join('  ');
}

/** The terminal stream progress is drawn on; only `write` and `isTTY` are used. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Redraws the progress line on `out` every `everyMs` while the run lasts, only when `out` is a terminal (a
 * redirected stderr gets no carriage-return noise). Returns the function that stops it and clears the line.
 */
export function drawProgress(
  out: ProgressStream,
  sample: () => ProgressSample,
  everyMs = 500,
  now: () => number = Date.now
): () => void {
  if (!out.isTTY) return () => undefined;
  const started = now();
  const draw = () => {
    const s = sample();
    out.write(`\r\x1b[K${formatProgress(s.lines, (now() - started) / 1000, s.files)}`);
  };
  const timer = setInterval(draw, everyMs);
  return () => {
    clearInterval(timer);
    out.write('\r\x1b[K');
  };
}
