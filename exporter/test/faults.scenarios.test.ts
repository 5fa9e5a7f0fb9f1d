import { requireBuiltCli } from './helpers';
import type { Line } from './faults/book';
import { RunResult, ServedLogs, ServedLogsOptions, sleep } from './faults/servedLogs';

/**
 * The silent losses of issue 13 (items 1-6), each forced in a fixed sequence through the real CLI, so every
 * run exercises each one whatever the random fault run (faults.test.ts) happens to draw. The verdict is the
 * same: every request stored once with its tokens and cost, every refused line quarantined once at its line.
 */
describe('fault scenarios: the silent losses of issue 13', () => {
  let s: ServedLogs | undefined;
  beforeAll(() => requireBuiltCli());
  afterEach(async () => {
    await s?.serve?.stop('SIGKILL');
    s = undefined;
  });

  const served = (logs: Record<string, string>, options: Partial<ServedLogsOptions> = {}): ServedLogs =>
    (s = new ServedLogs({ seed: 13, logs, ...options }));
  const requests = (n: number): Line[] => Array.from({ length: n }, () => s!.book.request());
  const caughtUp = () => s!.catchUp(20_000);
  const expectNothingLost = (r: RunResult) =>
    expect(r.problems.length ? ServedLogs.describe(r) : 'nothing lost').toBe('nothing lost');

  it('1. copytruncate while serve is down: the lines after the last commit are read from the copy', async () => {
    const { b } = served({ b: 'b.log' }).logs;
    await s!.startServe();
    b!.write(requests(1000));
    await caughtUp();
    await s!.kill('kill -9 with every line so far committed');
    b!.write(requests(600));
    s!.note(`copytruncate ${b!.copytruncate()} <- b.log while serve is down`);
    b!.write(requests(200));
    expectNothingLost(await s!.finish(20_000));
  });

  it('1. copytruncate right after a kill -9 in the middle of commits', async () => {
    const { b } = served({ b: 'b.log' }).logs;
    await s!.startServe();
    b!.write(requests(300));
    await caughtUp();
    b!.write(requests(1500));
    await sleep(60);
    await s!.kill('kill -9 60 ms after a burst of 1500 lines');
    s!.note(`copytruncate ${b!.copytruncate()} <- b.log right after the kill`);
    b!.write(requests(200));
    expectNothingLost(await s!.finish(20_000));
  });

  it('2. a line over max_line_bytes whose newline comes in a later read is one reject; the lines after it are read', async () => {
    const { a } = served({ a: 'a.log' }, { maxLineBytes: 1024 }).logs;
    await s!.startServe();
    a!.write(requests(10));
    const long = s!.book.overlong(1024);
    s!.note(`a ${long.bytes.length}-byte line, the first 1500 bytes (no newline) read before the rest`);
    await a!.writeInPieces(long, [1500], () => sleep(400));
    a!.write(requests(100));
    expectNothingLost(await s!.finish(20_000));
  });

  it('2. the same across a kill -9 between the two pieces of the long line', async () => {
    const { a } = served({ a: 'a.log' }, { maxLineBytes: 1024 }).logs;
    await s!.startServe();
    a!.write(requests(10));
    const long = s!.book.overlong(1024);
    await a!.writeInPieces(long, [1500], async () => {
      await sleep(400);
      await s!.kill('kill -9 while the first 1500 bytes of a long line wait for their newline');
      await s!.startServe();
      await sleep(300);
    });
    a!.write(requests(100));
    expectNothingLost(await s!.finish(20_000));
  });

  it('3. a lone { is one invalid_json reject and does not swallow the lines after it', async () => {
    const { a } = served({ a: 'a.log' }).logs;
    await s!.startServe();
    a!.write(requests(10));
    s!.note('a lone { line, then 500 JSON lines');
    a!.write([s!.book.poison('lone_brace'), ...requests(500)]);
    expectNothingLost(await s!.finish(20_000));
  });

  it('4. a new file that gets the inode of a finished, deleted one is read', async () => {
    const { a } = served({ a: 'a.log*' }).logs;
    await s!.startServe();
    a!.write(requests(50));
    await caughtUp();
    s!.note(`rename a.log -> ${a!.rotateByRename(0)}, new a.log`);
    a!.finishReopen(true, false);
    a!.write(requests(50));
    await caughtUp();
    const gone = a!.deleteRotated(Date.now())!;
    s!.note(`delete ${gone.path}`);
    s!.note(`rename a.log -> ${a!.rotateByRename(600_000)}, new a.log on the deleted file's inode`);
    // Without the reuse the test would prove nothing: serve must finish and close the deleted file first.
    const closed = await s!.closedByServe(gone.path, 10_000);
    expect({ closed, inodeReused: closed && (await a!.startNewFileOnInode(gone.ino, 10_000)) }).toEqual({
      closed: true,
      inodeReused: true,
    });
    a!.write(requests(100));
    expectNothingLost(await s!.finish(20_000));
  });

  it('5. a renamed file found beside its old path at a restart is still found after the next crash', async () => {
    // A long rotate wait: the renamed file is not finished while these restarts happen.
    const { c } = served({ c: 'c.log' }, { rotateWaitMs: 8_000 }).logs;
    await s!.startServe();
    c!.write(requests(100));
    await caughtUp();
    await s!.kill('kill -9');
    s!.note(`rename c.log -> ${c!.rotateByRename(600_000)} while serve is down; the writer goes on appending to it`);
    c!.write(requests(50));
    await s!.startServe();
    await caughtUp();
    await s!.kill('kill -9 while the renamed file, found beside c.log, is still written to');
    c!.write(requests(50));
    await s!.startServe();
    await caughtUp();
    s!.note('the writer reopens c.log');
    c!.finishReopen(true, false);
    c!.write(requests(50));
    expectNothingLost(await s!.finish(20_000));
  });

  it('6. start_at: end applies to files found at startup, not to a file that appears while serve runs', async () => {
    const { c } = served({ c: 'c.log' }, { startAt: 'end' }).logs;
    const before = requests(100);
    c!.write(before);
    s!.book.notStored(before);
    await s!.startServe();
    await sleep(500); // c.log found at startup, at its end
    c!.write(requests(50));
    await caughtUp();
    s!.note(`rename c.log -> ${c!.rotateByRename(600_000)}; a new c.log appears with 50 lines in it`);
    c!.startNewFileWith(requests(50));
    expectNothingLost(await s!.finish(20_000));
  });
});
