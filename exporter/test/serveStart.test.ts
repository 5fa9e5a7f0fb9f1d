import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { requireBuiltCli, runCli, tempDir } from './helpers';
import { writeServeConfig } from './serveConfig';

// A serve that cannot start after its sources started (a port taken) says why in one line and exits 1, as every
// error a user can act on, instead of staying up retrying commits to the ledger it closed.

describe('serve refused at start', () => {
  let dir: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => (dir = tempDir('tl-start-')));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 with one line when the listen port is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      writeFileSync(join(dir, 'gw.log'), '');
      const config = writeServeConfig(dir, join(dir, 'gw.log'));
      const port = (taken.address() as AddressInfo).port;
      writeFileSync(config, readFileSync(config, 'utf8').replace('listen: 127.0.0.1:0', `listen: 127.0.0.1:${port}`));
      const r = runCli(['serve', '--config', config]);
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines[lines.length - 1]).toBe(
        `tokenledger serve: cannot listen on 127.0.0.1:${port}: the port is in use (set listen: in the config)`
      );
      expect(r.stderr).not.toMatch(/unexpected error|ledger commits are failing/);
    } finally {
      taken.close();
    }
  });
});
