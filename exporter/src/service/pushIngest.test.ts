import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPEN_AUTH } from '../auth/apiTokens';
import { DuckDbLedger } from '../ledger/duckdb/duckDbLedger';
import { DEFAULT_METRICS_CONFIG, ExporterMetrics } from '../metrics/exporterMetrics';
import { compileMapping } from '../parse/presets';
import { Pipeline } from '../pipeline/pipeline';
import { IdentityMap } from '../pricing/identityMap';
import { Pricer } from '../pricing/pricer';
import type { PushRoute } from '../sources/push/pushRoute';
import { PushIngest } from './pushIngest';

// The push core with a route of its own, as the OTLP routes plug in: real HTTP on 127.0.0.1, a real DuckDB
// ledger, the real pipeline.

/** A sender with a body shape of its own: `{"calls":[...]}`, each call read with the route's own mapping. */
const callsRoute: PushRoute = {
  path: '/test/v1/calls',
  endpoint: 'calls',
  defaultSource: 'push:calls',
  mappings: {
    generic: compileMapping(
      { requestId: 'call', startTime: 'at', model: 'llm', user: 'by', usage: 'usage' },
      's',
      true
    ),
  },
  decode: (body) => ({
    format: 'generic',
    texts: (JSON.parse(body.toString('utf8')) as { calls: unknown[] }).calls.map((c, i) => ({
      text: JSON.stringify(c),
      line: i + 1,
      startOffset: i,
      endOffset: i + 1,
      tooLong: false,
    })),
  }),
};

const call = (id: string, user: string) => ({
  call: id,
  at: 1764590400,
  llm: 'gpt-4o',
  by: user,
  usage: { prompt_tokens: 10, completion_tokens: 2 },
});

const DAY_MS = 24 * 3_600_000;

describe('PushIngest', () => {
  let dir: string;
  let ledger: DuckDbLedger;
  let pipeline: Pipeline;
  let metrics: ExporterMetrics;
  let server: Server;
  let base: string;
  /** The clock pushes are committed and forgotten by. */
  let nowMs: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-push-ingest-'));
    nowMs = Date.parse('2026-12-01T00:00:00Z');
    ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    const pricer = new Pricer({
      version: 'empty',
      models: new Map(),
      aliases: new Map(),
      tiers: new Map(),
      warnings: [],
    });
    pipeline = new Pipeline({
      ledger,
      pricer: () => pricer,
      identities: () => new IdentityMap([], 'standard'),
      metrics,
      batchLines: 1000,
      onRejects: () => undefined,
    });
    const push = new PushIngest({
      pipeline,
      metrics,
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      auth: () => OPEN_AUTH,
      push: { maxBodyBytes: 1 << 20, rememberMs: DAY_MS },
      sources: [],
      maxRecordBytes: 1 << 20,
      unavailable: () => undefined,
      now: () => nowMs,
    });
    const app = express();
    app.use(push.router([callsRoute]));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const a = server.address() as { port: number };
    base = `http://127.0.0.1:${a.port}`;
  });

  afterEach(async () => {
    await new Promise((r) => server.close(r));
    await pipeline.close();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = async (body: unknown) => {
    const res = await fetch(`${base}/test/v1/calls`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("reads a route's texts with the route's own mapping, under its default source", async () => {
    const a = await send({ calls: [call('c1', 'ann'), call('c2', 'bob')] });
    expect(a).toMatchObject({ status: 200, body: { received: 2, stored: 2, refused: 0 } });
    expect([...metrics.linesRead]).toEqual([['push:calls', 2]]);
  });

  it('commits a push sent twice at once one time: the second waits for the first and gets its answer', async () => {
    const body = { calls: [call('c1', 'ann'), call('c2', 'bob'), call('c3', 'cy')] };
    const [x, y] = await Promise.all([send(body), send(body)]);
    expect([x.status, y.status]).toEqual([200, 200]);
    expect([x.body.replayed, y.body.replayed].sort()).toEqual([false, true]);
    expect(x.body.stored).toBe(3);
    expect(y.body.stored).toBe(3);
    expect([...metrics.linesRead]).toEqual([['push:calls', 3]]);
    const { total } = await ledger.breakdown({
      fromMs: 0,
      toMs: Date.parse('2100-01-01'),
      groupBy: [],
      filters: {},
      scope: undefined,
      sort: 'cost',
      limit: undefined,
    });
    expect(total.requests).toBe(3);
  });

  it('answers a retry from the receipt for push.remember, then forgets it: a later one is a repeat', async () => {
    const first = { calls: [call('c1', 'ann'), call('c2', 'bob')] };
    expect(await send(first)).toMatchObject({ status: 200, body: { stored: 2, replayed: false } });
    nowMs += DAY_MS - 3_600_000;
    const second = { calls: [call('c3', 'cy')] };
    const secondAnswer = await send(second);
    expect(secondAnswer).toMatchObject({ status: 200, body: { stored: 1, replayed: false } });
    // Within the window: answered as the first time, counted once.
    expect(await send(first)).toMatchObject({ status: 200, body: { stored: 2, repeats: 0, replayed: true } });
    expect([...metrics.linesRead]).toEqual([['push:calls', 3]]);

    // The next commit after the window forgets the first receipt, never the second (younger than the window).
    nowMs += 3_600_000 + 120_000;
    expect(await send({ calls: [call('c4', 'dee')] })).toMatchObject({ status: 200, body: { replayed: false } });
    expect(await ledger.pushReceipt(secondAnswer.body.pushId as string)).toMatchObject({ stored: 1 });
    expect(await send(second)).toMatchObject({ status: 200, body: { stored: 1, replayed: true } });
    expect(await send(first)).toMatchObject({ status: 200, body: { stored: 0, repeats: 2, replayed: false } });
  });
});
