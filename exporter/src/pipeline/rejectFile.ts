import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Ledger, RejectedLine } from '../ledger/ledger';

/** How much of the file's end is read to find its last entry: far more than one entry ever takes. */
const TAIL_BYTES = 64 << 10;

/**
 * The quarantine file: one JSON line per refused log line, naming source, file, line, byte offset, reason
 * and field, with a redacted excerpt (never content or secrets), and the ledger batch that refused it. Written
 * after the batch that refused them commits; the ledger's `rejects` table holds the same entries, exactly once.
 * A kill -9 between a commit and its append is made good at the next start (`recover`).
 */
export class RejectFile {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(rejects: readonly RejectedLine[], batch: number): void {
    const now = new Date().toISOString();
    const lines = rejects.map((r) =>
      JSON.stringify({
        time: now,
        source: r.source,
        file: r.path,
        line: r.line,
        offset: r.byteOffset,
        length: r.byteLength,
        reason: r.reason,
        field: r.field,
        message: r.message,
        sha256: r.lineSha256,
        excerpt: r.excerpt,
        batch,
      })
    );
    appendFileSync(this.path, `${lines.join('\n')}\n`);
  }

  /**
   * Appends what the ledger quarantined after the file's last entry: a process killed between a commit and
   * its append leaves that batch's rejects out of the file. Commits wait for the append before them, so only
   * the last batch with rejects can be missing; with no file (or an empty one) that batch is the one checked.
   * A file whose last entry names no batch (written before entries did) is left as it is.
   */
  async recover(ledger: Ledger): Promise<number> {
    const last = this.lastEntry();
    if (last === 'unknown') return 0;
    const after = last === 'none' ? (await ledger.lastRejectBatch()) - 1 : last;
    const missing = await ledger.rejectsAfter(after);
    for (let i = 0; i < missing.length;) {
      const batch = missing[i]!.batch;
      const rejects: RejectedLine[] = [];
      for (; i < missing.length && missing[i]!.batch === batch; i++) rejects.push(missing[i]!.reject);
      this.append(rejects, batch);
    }
    return missing.length;
  }

  /** The batch of the file's last entry; 'none' when there is no entry, 'unknown' when it names no batch. */
  private lastEntry(): number | 'none' | 'unknown' {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return 'none';
    }
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const lines = buffer
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      if (!lines.length) return 'none';
      try {
        const batch = (JSON.parse(lines[lines.length - 1]!) as { batch?: unknown }).batch;
        return typeof batch === 'number' ? batch : 'unknown';
      } catch {
        return 'unknown'; // a last line cut short (a full disk): nothing to build on
      }
    } finally {
      closeSync(fd);
    }
  }
}
