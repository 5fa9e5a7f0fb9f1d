import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RejectedLine } from '../ledger/ledger';

/**
 * The quarantine file: one JSON line per refused log line, naming source, file, line, byte offset, reason
 * and field, with a redacted excerpt (never content or secrets). Written after the batch that refused them
 * commits; the ledger's `rejects` table holds the same entries, exactly once.
 */
export class RejectFile {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(rejects: readonly RejectedLine[]): void {
    const now = new Date().toISOString();
    const lines = rejects.map((r) =>
      JSON.stringify({ time: now, source: r.source, file: r.path, line: r.line, offset: r.byteOffset, length: r.byteLength, reason: r.reason, field: r.field, message: r.message, sha256: r.lineSha256, excerpt: r.excerpt }),
    );
    appendFileSync(this.path, `${lines.join('\n')}\n`);
  }
}
