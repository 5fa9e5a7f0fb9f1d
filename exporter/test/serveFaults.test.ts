import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lines, requireBuiltCli, ServeProcess, tempDir, waitFor } from './helpers';
import { writeServeConfig } from './serveConfig';

/** `serve` meeting faults of its surroundings: a broken config edit, ... */
describe('tokenledger serve under faults', () => {
  let dir: string;
  let serve: ServeProcess | undefined;
  beforeAll(() => requireBuiltCli());
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await serve?.stop('SIGKILL');
    serve = undefined;
  });

  const requestsSeen = (n: number) => waitFor(`${n} requests in /metrics`, async () => ((await serve!.metricSum('tokenledger_requests_total')) === n ? true : undefined));

  it('logs a failed reload once when SIGHUP and the file watcher both see the same broken edit', async () => {
    const config = writeServeConfig(dir, join(dir, 'app.log'));
    writeFileSync(join(dir, 'app.log'), lines(0, 10));
    serve = await ServeProcess.start(config);
    await requestsSeen(10);
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, `${good}budgets: [ { scope: user\n`);
    process.kill(serve.child.pid!, 'SIGHUP');
    const failures = () => serve!.log.split('\n').filter((l) => /reload .*failed/.test(l));
    await waitFor('the failed reload in the log', () => (failures().length ? true : undefined));
    // The watcher polls the file every second: three seconds give it time to fire as well.
    await new Promise((r) => setTimeout(r, 3000));
    expect(failures()).toHaveLength(1);
    // Fixed, the next reload succeeds and says so; a new breakage is logged again.
    writeFileSync(config, good);
    process.kill(serve.child.pid!, 'SIGHUP');
    await waitFor('the successful reload', () => (/reloaded /.test(serve!.log) ? true : undefined));
    writeFileSync(config, `${good}budgets: [ { scope: team\n`);
    await waitFor('the second failure in the log', () => (failures().length === 2 ? true : undefined));
  });
});
