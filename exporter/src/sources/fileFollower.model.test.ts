import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ReadPosition } from '../ledger/ledger';
import { fileKeyOf } from './fileIdentity';
import { FollowerHarness } from '../../test/followerHarness';

/**
 * Model-based test of the follower over real files (after Vector's file source tests): generated sequences
 * of writes (some ending without a newline, as object files do: read once the file stops growing), rotations, truncations, deletions and restarts with changes made while stopped, against a model
 * whose verdict is that every line written is committed exactly once, as a text or as a too-long reject.
 *
 * The one exception, modelled explicitly: lines that only ever existed in a file the follower had not read
 * any of (no committed position, or one taken when the file was empty, or of content since replaced) when
 * that file was rotated, truncated or deleted: there is nothing to recognise its copy by. Those lines may
 * be missing, never doubled.
 */

const MAX_LINE = 100;

type Mutation =
  | { t: 'write'; n: number }
  /** A line without its newline, as an object file (LiteLLM's S3 logger): a later write to the file begins with it. */
  | { t: 'writeUnterminated' }
  | { t: 'writeLong' }
  | { t: 'writeBusy'; n: number }
  | { t: 'renameRotate' }
  | { t: 'copyTruncate' }
  | { t: 'truncate' }
  | { t: 'deleteCreate' };
/**
 * A restart, with changes made while stopped; with `killedInFirstPoll`, the restarted follower is killed again
 * after that many reads of its first poll (busy with a backlog, as `serve` between two kill -9), and the
 * changes `thenWhileStopped` are made before it is started once more.
 */
type Restart = {
  t: 'restart';
  uncommitted: number;
  whileStopped: Mutation[];
  killedInFirstPoll?: { reads: number; thenWhileStopped: Mutation[] };
};
type Action = Mutation | { t: 'poll'; settle: boolean } | Restart;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('write' as const), n: fc.integer({ min: 1, max: 4 }) }), weight: 6 },
  { arbitrary: fc.record({ t: fc.constant('writeBusy' as const), n: fc.integer({ min: 1, max: 20 }) }), weight: 2 },
  { arbitrary: fc.constant({ t: 'writeUnterminated' as const }), weight: 2 },
  { arbitrary: fc.constant({ t: 'writeLong' as const }), weight: 1 },
  { arbitrary: fc.constant({ t: 'renameRotate' as const }), weight: 1 },
  { arbitrary: fc.constant({ t: 'copyTruncate' as const }), weight: 1 },
  { arbitrary: fc.constant({ t: 'truncate' as const }), weight: 1 },
  { arbitrary: fc.constant({ t: 'deleteCreate' as const }), weight: 1 }
);
const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: mutation, weight: 8 },
  { arbitrary: fc.record({ t: fc.constant('poll' as const), settle: fc.boolean() }), weight: 4 },
  {
    arbitrary: fc.record(
      {
        t: fc.constant('restart' as const),
        uncommitted: fc.integer({ min: 0, max: 2 }),
        whileStopped: fc.array(mutation, { maxLength: 4 }),
        killedInFirstPoll: fc.record({
          reads: fc.integer({ min: 0, max: 6 }),
          thenWhileStopped: fc.array(mutation, { maxLength: 4 }),
        }),
      },
      { requiredKeys: ['t', 'uncommitted', 'whileStopped'] }
    ),
    weight: 2,
  }
);

/** A line as the model knows it: `pending` until its fate is decided by what happens to its file. */
interface Line {
  id: string;
  long: boolean;
  /** Byte offset just past its newline in its file (past its last byte, for a line whose newline is not written yet). */
  end: number;
  fate: 'pending' | 'must' | 'may';
}

class Model {
  /** The file at app.log, then app.log.1, app.log.2, ... as logrotate names them. */
  active: Line[] = [];
  activeSize = 0;
  /** app.log ends in a line without its newline: the next write to it begins with that newline. */
  activeUnterminated = false;
  rotated: Line[][] = [];
  private next = 0;
  inodeReuses = 0;
  readonly all: Line[] = [];

  constructor(
    private readonly log: string,
    /** A file that is only written to, read before app.log: its backlog keeps the follower busy. */
    private readonly busy: string,
    private readonly committed: () => ReadPosition[]
  ) {
    writeFileSync(log, '');
    writeFileSync(busy, '');
  }

  private rotatedPath(i: number): string {
    return `${this.log}.${i + 1}`;
  }

  /** Shifts app.log.N to app.log.N+1, as logrotate does, making room for app.log.1. */
  private shift(): void {
    for (let i = this.rotated.length - 1; i >= 0; i--) renameSync(this.rotatedPath(i), this.rotatedPath(i + 1));
  }

  /** The committed position of the file now at app.log, if it is of the content it has now (not empty then). */
  private knownActive(): ReadPosition | undefined {
    const key = fileKeyOf(statSync(this.log));
    const head = readFileSync(this.log);
    return this.committed().find(
      (p) =>
        p.fileKey === key &&
        !p.finished &&
        p.fingerprintLen > 0 &&
        head.length >= p.fingerprintLen &&
        createHash('sha256').update(head.subarray(0, p.fingerprintLen)).digest('hex') === p.fingerprint
    );
  }

  /** app.log's pending lines go where the follower can find them (a rotated file beside it) if it knows the file. */
  private decideMoved(): void {
    const known = this.knownActive() !== undefined;
    for (const l of this.active) if (l.fate === 'pending') l.fate = known ? 'must' : 'may';
  }

  /** app.log's pending lines are destroyed: only those already committed were read. */
  private decideDestroyed(): void {
    const committedTo = this.knownActive()?.offset ?? 0;
    for (const l of this.active) if (l.fate === 'pending') l.fate = l.end <= committedTo ? 'must' : 'may';
  }

  apply(m: Mutation): void {
    switch (m.t) {
      case 'writeBusy': {
        const lines = Array.from({ length: m.n }, () => this.newLine(false, 'must'));
        appendFileSync(this.busy, lines.map((l) => l.text).join(''));
        return;
      }
      case 'write':
      case 'writeUnterminated':
      case 'writeLong': {
        let text = this.activeUnterminated ? '\n' : '';
        for (let k = 0; k < (m.t === 'write' ? m.n : 1); k++) {
          const l = this.newLine(m.t === 'writeLong', 'pending');
          text += m.t === 'writeUnterminated' ? l.text.slice(0, -1) : l.text;
          l.end = this.activeSize + Buffer.byteLength(text);
          this.active.push(l);
        }
        this.activeSize += Buffer.byteLength(text);
        appendFileSync(this.log, text);
        this.activeUnterminated = m.t === 'writeUnterminated';
        return;
      }
      case 'renameRotate':
        this.decideMoved();
        this.shift();
        renameSync(this.log, this.rotatedPath(0));
        writeFileSync(this.log, '');
        this.rotated.unshift(this.active);
        break;
      case 'copyTruncate':
        this.decideMoved();
        this.shift();
        copyFileSync(this.log, this.rotatedPath(0));
        truncateSync(this.log, 0);
        this.rotated.unshift(this.active);
        break;
      case 'truncate':
        this.decideDestroyed();
        truncateSync(this.log, 0);
        break;
      case 'deleteCreate': {
        this.decideDestroyed();
        const before = statSync(this.log).ino;
        unlinkSync(this.log);
        writeFileSync(this.log, '');
        if (statSync(this.log).ino === before) this.inodeReuses++;
        break;
      }
    }
    this.active = [];
    this.activeSize = 0;
    this.activeUnterminated = false;
  }

  private newLine(long: boolean, fate: Line['fate']): Line & { text: string } {
    const id = `L${this.next++}`;
    const text = `${JSON.stringify({ id, pad: long ? 'x'.repeat(MAX_LINE * 2) : 'p'.repeat(this.next % 40) })}\n`;
    const l = { id, long, end: 0, fate, text };
    this.all.push(l);
    return l;
  }

  /** The end: the follower has read everything it can, so lines still at app.log must all have been read. */
  settleAll(): void {
    for (const l of this.active) if (l.fate === 'pending') l.fate = 'must';
  }
}

function verdict(model: Model, texts: string[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  let tooLong = 0;
  for (const t of texts) {
    if (t.startsWith('TOO_LONG@')) tooLong++;
    else {
      const id = /^\{"id":"(L\d+)","pad":"p*"\}$/.exec(t)?.[1];
      if (id === undefined) problems.push(`a text that is not a line written: ${t.slice(0, 60)}`);
      else seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  }
  let mustLong = 0;
  let mayLong = 0;
  for (const l of model.all) {
    if (l.long) {
      if (l.fate === 'must') mustLong++;
      else mayLong++;
      continue;
    }
    const n = seen.get(l.id) ?? 0;
    seen.delete(l.id);
    if (n > 1) problems.push(`${l.id} committed ${n} times`);
    if (n === 0 && l.fate === 'must') problems.push(`${l.id} lost`);
  }
  for (const id of seen.keys()) problems.push(`${id} committed but never written`);
  if (tooLong < mustLong || tooLong > mustLong + mayLong)
    problems.push(`${tooLong} too-long rejects for ${mustLong} overlong lines (+${mayLong} that may be lost)`);
  return problems;
}

/**
 * Runs per property. Stryker (`npm run mutation`) runs this test once for each mutant of the follower, hundreds of
 * times: in its workers (which it marks with STRYKER_MUTATOR_WORKER) a tenth of the runs keeps a run short while still
 * reaching every action, inode reuse included.
 */
const NUM_RUNS = process.env.STRYKER_MUTATOR_WORKER === undefined ? 400 : 40;

describe.each([
  ['the active file only', ''],
  ['the active file and its rotated copies', '*'],
])('FileFollower, model-based, watching %s', (_, patternTail) => {
  let reuses = 0;
  let runs = 0;

  it('commits every line written exactly once (as a text or a too-long reject) whatever happens to the files', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30 }), async (actions) => {
        const dir = mkdtempSync(join(tmpdir(), 'tl-model-'));
        const log = join(dir, 'app.log');
        const busy = join(dir, 'a.log'); // sorts first: read before app.log in every poll
        const h = new FollowerHarness({
          patterns: [busy, `${log}${patternTail}`],
          maxLineBytes: MAX_LINE,
          rotateWaitMs: 1000,
          startAt: 'beginning',
          chunkBytes: 64,
        });
        const model = new Model(log, busy, () => h.savedPositions);
        let running = false;
        try {
          await h.start();
          running = true;
          for (const a of actions) {
            if (a.t === 'poll') {
              if (a.settle) await h.settle();
              else await h.poll();
            } else if (a.t === 'restart') {
              await h.stop(a.uncommitted);
              running = false;
              h.markDurable();
              for (const m of a.whileStopped) model.apply(m);
              await h.start();
              running = true;
              if (a.killedInFirstPoll) {
                running = false;
                await h.pollUntilKilled(a.killedInFirstPoll.reads);
                for (const m of a.killedInFirstPoll.thenWhileStopped) model.apply(m);
                await h.start();
                running = true;
              }
            } else {
              // The reads of the polls before were committed; a crash loses only what was read since.
              h.markDurable();
              model.apply(a);
            }
          }
          await h.settle();
          model.settleAll();
          reuses += model.inodeReuses;
          runs++;
          expect(verdict(model, h.texts)).toEqual([]);
        } finally {
          if (running) await h.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: NUM_RUNS }
    );
    // Inode reuse is the case this suite must reach: ext4 and tmpfs give a freed inode to the next file.
    expect({ runs, reusedInodes: reuses > 0 }).toEqual({ runs: NUM_RUNS, reusedInodes: true });
  }, 120_000);
});
