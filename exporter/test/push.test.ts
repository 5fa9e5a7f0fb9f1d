import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { hashToken } from '../src/auth/apiTokens';
import { ledgerSpecOf, openLedger } from '../src/ledger/open';
import { formatPicoUsd } from '../src/money';
import { requireBuiltCli, ServeProcess, sumSamples, tempDir, waitFor } from './helpers';
import { RunningPostgres, startPostgres } from './postgres';
import { writeServeConfig } from './serveConfig';

// Pushes to a real `serve` (the built CLI, real HTTP on 127.0.0.1, a real DuckDB file; PostgreSQL for the
// outage), with the bodies LiteLLM's generic_api callback and Kong's http-log plugin send
// (test/fixtures/push/README.md cites their code). Every case ends with the ledger's totals, read through the
// chargeback API, equal to totals this file computes from the fixtures by the senders' own field semantics.

const FIXTURES = join(__dirname, 'fixtures', 'push');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

const TOKENS = { admin: 'admin-token-0123456789', team: 'team-token-0123456789', gateway: 'gateway-token-0123456789' };

/** pico-USD per token of TEST_PRICES (USD per million tokens x 10^6). */
const PRICES: Record<string, { input: bigint; cacheRead: bigint; output: bigint }> = {
  'gpt-4o': { input: 2_500_000n, cacheRead: 1_250_000n, output: 10_000_000n },
  'gpt-4o-mini': { input: 150_000n, cacheRead: 75_000n, output: 600_000n },
  'claude-haiku-4-5': { input: 1_000_000n, cacheRead: 100_000n, output: 5_000_000n },
};

/** What one request adds to the ledger, as its sender means it. */
interface Usage {
  user: string;
  model: string;
  failed: boolean;
  input: number;
  cacheRead: number;
  output: number;
}

/** LiteLLM's StandardLoggingPayload: prompt_tokens include the cached ones (usage_object.prompt_tokens_details). */
interface LiteLlmPayload {
  id: string;
  status: 'success' | 'failure';
  model: string;
  metadata: {
    user_api_key_user_id: string;
    usage_object: {
      prompt_tokens: number;
      completion_tokens: number;
      prompt_tokens_details?: { cached_tokens?: number };
    };
  };
}

function litellmUsage(p: LiteLlmPayload): Usage {
  const u = p.metadata.usage_object;
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    user: p.metadata.user_api_key_user_id,
    model: p.model,
    failed: p.status === 'failure',
    input: u.prompt_tokens - cached,
    cacheRead: cached,
    output: u.completion_tokens,
  };
}

/** Kong's http-log entry with the AI proxy's analytics (no cache split). */
interface KongEntry {
  request: { id: string };
  response: { status: number };
  consumer: { username: string };
  ai: { proxy: { usage: { prompt_tokens: number; completion_tokens: number }; meta: { response_model: string } } };
}

function kongUsage(e: KongEntry): Usage {
  return {
    user: e.consumer.username,
    model: e.ai.proxy.meta.response_model,
    failed: e.response.status >= 400,
    input: e.ai.proxy.usage.prompt_tokens,
    cacheRead: 0,
    output: e.ai.proxy.usage.completion_tokens,
  };
}

/** The records of a LiteLLM body in any of its three log formats (nulls are not records). */
function litellmRecords(body: Buffer): LiteLlmPayload[] {
  const text = body.toString('utf8').trim();
  const all = (
    text.startsWith('[') ? JSON.parse(text) : text.split('\n').map((l) => JSON.parse(l))
  ) as (LiteLlmPayload | null)[];
  return all.filter((p): p is LiteLlmPayload => p !== null);
}

function kongRecords(body: Buffer): KongEntry[] {
  const parsed = JSON.parse(body.toString('utf8')) as KongEntry | KongEntry[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** Ledger report rows by user and model, as the chargeback API gives them, from requests computed here. */
function expectedRows(usages: Usage[]): Record<string, string | number>[] {
  const byKey = new Map<string, Usage[]>();
  for (const u of usages) byKey.set(`${u.user}\0${u.model}`, [...(byKey.get(`${u.user}\0${u.model}`) ?? []), u]);
  return [...byKey.values()]
    .map((us) => {
      const price = PRICES[us[0]!.model]!;
      const sum = (f: (u: Usage) => number) => us.reduce((n, u) => n + f(u), 0);
      const cost = us.reduce(
        (c, u) =>
          c + BigInt(u.input) * price.input + BigInt(u.cacheRead) * price.cacheRead + BigInt(u.output) * price.output,
        0n
      );
      return {
        user: us[0]!.user,
        model: us[0]!.model,
        requests: us.length,
        failedRequests: sum((u) => (u.failed ? 1 : 0)),
        inputTokens: sum((u) => u.input + u.cacheRead), // the API's inputTokens: all input, cached included
        cacheReadTokens: sum((u) => u.cacheRead),
        outputTokens: sum((u) => u.output),
        costUsd: formatPicoUsd(cost),
        unpricedRequests: 0,
      };
    })
    .sort(byUserModel);
}

const byUserModel = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
  `${String(a.user)}\0${String(a.model)}` < `${String(b.user)}\0${String(b.model)}` ? -1 : 1;

const COMPARED = [
  'user',
  'model',
  'requests',
  'failedRequests',
  'inputTokens',
  'cacheReadTokens',
  'outputTokens',
  'costUsd',
  'unpricedRequests',
];

/** The ledger's rows by user and model over the fixtures' day, through the chargeback API. */
async function ledgerRows(serve: ServeProcess, token?: string): Promise<Record<string, string | number>[]> {
  const res = await fetch(
    `${serve.baseUrl}/api/v1/breakdown?from=2025-12-01T00:00:00Z&to=2025-12-02T00:00:00Z&groupBy=user,model`,
    { headers: token ? { authorization: `Bearer ${token}` } : {} }
  );
  expect(res.status).toBe(200);
  const rows = ((await res.json()) as { rows: Record<string, string | number>[] }).rows;
  return rows.map((r) => Object.fromEntries(COMPARED.map((k) => [k, r[k]!]))).sort(byUserModel);
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: {
    pushId?: string;
    received?: number;
    stored?: number;
    repeats?: number;
    skipped?: number;
    refused?: number;
    refusedByReason?: Record<string, number>;
    refusals?: { line: number; offset: number; reason: string; field?: string; message: string }[];
    replayed?: boolean;
    error?: string;
  };
}

async function push(
  serve: ServeProcess,
  path: string,
  body: Buffer | string,
  headers: Record<string, string> = {}
): Promise<Answer> {
  const res = await fetch(`${serve.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Answer['body'] };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * Waits for /metrics to count `n` pushes of `endpoint` with `outcome`, then checks it: the small families are
 * rendered again at most every 500 ms when nothing commits (exporterMetrics.ts), and a refused push commits
 * nothing.
 */
async function expectPushCount(serve: ServeProcess, endpoint: string, outcome: string, n: number): Promise<void> {
  const count = () => serve.metricSum('tokenledger_push_requests_total', { endpoint, outcome });
  await waitFor(
    `${n} push(es) to ${endpoint} counted as ${outcome}`,
    async () => ((await count()) === n ? true : undefined),
    5000
  ).catch(() => undefined);
  expect(await count()).toBe(n);
}

/** /metrics once it shows the last commit: the small families are rendered again at most every 500 ms. */
async function settledMetrics(serve: ServeProcess): Promise<string> {
  await new Promise((r) => setTimeout(r, 600));
  return serve.metrics();
}

/** What a replica counted of what it read: the counters it seeds from the ledger at start. */
async function settledSelfCounters(serve: ServeProcess): Promise<Record<string, number>> {
  const text = await settledMetrics(serve);
  return Object.fromEntries(
    ['tokenledger_lines_read_total', 'tokenledger_lines_rejected_total', 'tokenledger_requests_total'].map((name) => [
      name,
      sumSamples(text, name),
    ])
  );
}

beforeAll(() => requireBuiltCli());

describe('push to serve (DuckDB ledger)', () => {
  let dir: string;
  let serve: ServeProcess;

  beforeAll(async () => {
    dir = tempDir('tl-push-');
    writeFileSync(join(dir, 'app.log'), '');
    const config = writeServeConfig(
      dir,
      join(dir, 'app.log'),
      `  - name: custom
    paths: custom.jsonl
    format: generic
    mapping: { request_id: rid, start_time: ts, model: m, user: who, usage: usage }
push:
  max_body_bytes: 65536
`
    );
    serve = await ServeProcess.start(config);
  });
  afterAll(async () => serve?.stop());

  it('stores what LiteLLM generic_api sends in each log format, once, answering after the commit', async () => {
    const arrayBody = fixture('litellm-generic-api-json_array.json');
    const ndjsonBody = fixture('litellm-generic-api.ndjson');
    const singleBody = fixture('litellm-generic-api-single.json');

    const first = await push(serve, '/ingest/v1/litellm', arrayBody);
    expect(first.status).toBe(200);
    // 8 entries: 7 payloads and LiteLLM's null for a call without a standard logging object, refused.
    expect(first.body).toMatchObject({ received: 8, stored: 7, repeats: 0, refused: 1, replayed: false });
    expect(first.body.refusedByReason).toEqual({ invalid_json: 1 });
    expect(first.body.refusals).toEqual([
      expect.objectContaining({ reason: 'invalid_json', line: 1, offset: arrayBody.indexOf(', null, ') + 2 }),
    ]);
    expect(await push(serve, '/ingest/v1/litellm', ndjsonBody)).toMatchObject({
      status: 200,
      body: { received: 4, stored: 4, refused: 0 },
    });
    expect(await push(serve, '/ingest/v1/litellm', singleBody)).toMatchObject({
      status: 200,
      body: { received: 1, stored: 1 },
    });

    // A retry of a push already committed (LiteLLM does not retry, a proxy in front may): nothing stored again.
    const retry = await push(serve, '/ingest/v1/litellm', arrayBody);
    expect(retry).toMatchObject({ status: 200, body: { ...first.body, replayed: true } });

    const usages = [arrayBody, ndjsonBody, singleBody].flatMap(litellmRecords).map(litellmUsage);
    expect(usages).toHaveLength(12);
    expect(await ledgerRows(serve)).toEqual(expectedRows(usages));
    // Lines read: each record once, the retry not again; the refused one quarantined like a refused line.
    expect(await serve.metricSum('tokenledger_lines_read_total', { source: 'push:litellm' })).toBe(13);
    expect(await serve.metricSum('tokenledger_lines_rejected_total', { reason: 'invalid_json' })).toBe(1);
    await expectPushCount(serve, 'litellm', 'stored', 3);
    await expectPushCount(serve, 'litellm', 'replayed', 1);
    expect(await serve.metricSum('tokenledger_push_records_total', { endpoint: 'litellm', result: 'refused' })).toBe(1);
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects).toEqual([
      expect.objectContaining({
        source: 'push:litellm',
        file: first.body.pushId,
        reason: 'invalid_json',
        offset: arrayBody.indexOf(', null, ') + 2,
      }),
    ]);
  });

  it('stores what Kong http-log sends, one entry or a gzipped queue batch, and a retried batch once', async () => {
    const queue = fixture('kong-http-log-queue.json');
    const single = fixture('kong-http-log-single.json');
    const gzipped = gzipSync(queue);
    const first = await push(serve, '/ingest/v1/kong', gzipped, { 'content-encoding': 'gzip' });
    expect(first).toMatchObject({ status: 200, body: { received: 4, stored: 4, refused: 0, replayed: false } });
    expect(await push(serve, '/ingest/v1/kong', single)).toMatchObject({
      status: 200,
      body: { received: 1, stored: 1 },
    });
    // Kong's queue sends a failed batch again, same body; not compressed this time: the same push all the same.
    expect(await push(serve, '/ingest/v1/kong', queue)).toMatchObject({
      status: 200,
      body: { received: 4, stored: 4, replayed: true },
    });

    const kongRows = expectedRows([queue, single].flatMap(kongRecords).map(kongUsage));
    const rows = await ledgerRows(serve);
    expect(rows.filter((r) => ['alice', 'dave'].includes(String(r.user)))).toEqual(kongRows);
    expect(await serve.metricSum('tokenledger_lines_read_total', { source: 'push:kong' })).toBe(5);
  });

  it('counts a push sent again with the same Idempotency-Key once, also after other pushes', async () => {
    const records = [0, 1, 2].map((i) => kongEntry(`idem-${i}`, 'erin', 'gpt-4o-mini', 100 + i, 10 + i));
    const body = records.map((r) => JSON.stringify(r)).join('\n');
    const key = { 'idempotency-key': 'batch-2025-12-01-0001' };
    const first = await push(serve, '/ingest/v1/kong', body, key);
    expect(first).toMatchObject({ status: 200, body: { received: 3, stored: 3, replayed: false } });
    // Another push in between: the retry is not the ledger's last batch any more.
    expect(
      (await push(serve, '/ingest/v1/kong', JSON.stringify(kongEntry('idem-x', 'erin', 'gpt-4o', 5, 5)))).status
    ).toBe(200);
    expect(await push(serve, '/ingest/v1/kong', body, key)).toMatchObject({
      status: 200,
      body: { ...first.body, replayed: true },
    });
    // The same key with another body is a sender's mistake, not a retry.
    const other = await push(serve, '/ingest/v1/kong', `${body}\n`, key);
    expect(other.status).toBe(422);

    const rows = (await ledgerRows(serve)).filter((r) => r.user === 'erin');
    expect(rows).toEqual(
      expectedRows([...records, kongEntry('idem-x', 'erin', 'gpt-4o', 5, 5)].map((e) => kongUsage(e)))
    );
  });

  it('takes NDJSON of every format; generic only through a configured source with its mapping', async () => {
    const envoy = [0, 1, 2, 3]
      .map((i) =>
        JSON.stringify({
          start_time: `2025-12-01T13:0${i}:00.000Z`,
          duration: 900 + i,
          response_code: 200,
          genai_model_name: i % 2 ? 'gpt-4o' : 'gpt-4o-mini',
          genai_tokens_input: 300 + i,
          genai_tokens_output: 40 + i,
          user_id: 'frank',
          'x-request-id': `envoy-${i}`,
        })
      )
      .join('\n');
    expect(await push(serve, '/ingest/v1/envoy', `${envoy}\n`)).toMatchObject({
      status: 200,
      body: { received: 4, stored: 4 },
    });

    const generic = [0, 1]
      .map((i) =>
        JSON.stringify({
          rid: `gen-${i}`,
          ts: 1764594000 + i,
          m: 'claude-haiku-4-5',
          who: 'grace',
          usage: { input_tokens: 70 + i, output_tokens: 7 + i },
        })
      )
      .join('\n');
    expect(await push(serve, '/ingest/v1/kongg', envoy)).toMatchObject({
      status: 404,
      body: { error: 'no push endpoint for format "kongg"; expected one of litellm, kong, envoy, generic' },
    });
    const refused = await push(serve, '/ingest/v1/generic', generic);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/format generic needs a field mapping: name a configured source/);
    expect((await push(serve, '/ingest/v1/generic?source=nope', generic)).body.error).toMatch(
      /no configured source is named "nope"/
    );
    expect((await push(serve, '/ingest/v1/litellm?source=custom', generic)).body.error).toBe(
      'source: custom reads format generic, not litellm'
    );
    expect(await push(serve, '/ingest/v1/generic?source=custom', generic)).toMatchObject({
      status: 200,
      body: { received: 2, stored: 2 },
    });
    // Counted under the source it named, as that source's file lines are.
    expect(await serve.metricSum('tokenledger_lines_read_total', { source: 'custom' })).toBe(2);

    const rows = await ledgerRows(serve);
    expect(rows.filter((r) => r.user === 'frank' || r.user === 'grace')).toEqual(
      expectedRows([
        ...[0, 1, 2, 3].map((i) => ({
          user: 'frank',
          model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini',
          failed: false,
          input: 300 + i,
          cacheRead: 0,
          output: 40 + i,
        })),
        ...[0, 1].map((i) => ({
          user: 'grace',
          model: 'claude-haiku-4-5',
          failed: false,
          input: 70 + i,
          cacheRead: 0,
          output: 7 + i,
        })),
      ])
    );
  });

  it('refuses a body beyond push.max_body_bytes, sent or decompressed, with 413 and stores none of it', async () => {
    const before = await ledgerRows(serve);
    const many = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify(kongEntry(`big-${i}`, 'heidi', 'gpt-4o', 1, 1))
    ).join('\n');
    expect(Buffer.byteLength(many)).toBeGreaterThan(65536);
    const plain = await push(serve, '/ingest/v1/kong', many);
    expect(plain.status).toBe(413);
    expect(plain.body.error).toBe('the body is larger than push.max_body_bytes (65536 bytes)');
    const packed = gzipSync(many);
    expect(packed.length).toBeLessThan(65536);
    const bomb = await push(serve, '/ingest/v1/kong', packed, { 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
    expect(bomb.body.error).toBe('the body is larger than push.max_body_bytes (65536 bytes) once decompressed');
    expect((await push(serve, '/ingest/v1/kong', many.slice(0, 100), { 'content-encoding': 'br' })).status).toBe(415);
    await expectPushCount(serve, 'kong', 'too_large', 2);
    expect(await ledgerRows(serve)).toEqual(before);
  });

  it('refuses a JSON array it cannot read whole, or broken gzip, with 400, storing none of its records', async () => {
    const before = await ledgerRows(serve);
    const body = fixture('kong-http-log-queue.json');
    const cut = await push(serve, '/ingest/v1/kong', body.subarray(0, body.length - 1));
    expect(cut).toMatchObject({ status: 400, body: { error: 'the JSON array is cut short (no closing bracket)' } });
    const notGzip = await push(serve, '/ingest/v1/kong', body, { 'content-encoding': 'gzip' });
    expect(notGzip).toMatchObject({
      status: 400,
      body: { error: 'the body is not valid gzip (Content-Encoding: gzip)' },
    });
    const truncatedGzip = gzipSync(body).subarray(0, 200);
    expect((await push(serve, '/ingest/v1/kong', truncatedGzip, { 'content-encoding': 'gzip' })).status).toBe(400);
    expect(await ledgerRows(serve)).toEqual(before);
  });

  it('after kill -9 and a restart, answers a retried push from its receipt: nothing stored, quarantined or counted again', async () => {
    const body = [
      JSON.stringify(kongEntry('restart-0', 'ivan', 'gpt-4o', 50, 5)),
      '{"request":{"id":"restart-bad"},"started_at":"soon"}',
      JSON.stringify(kongEntry('restart-1', 'ivan', 'gpt-4o', 50, 5)),
    ].join('\n');
    const key = { 'idempotency-key': 'kong-restart-0001' };
    const first = await push(serve, '/ingest/v1/kong', body, key);
    expect(first).toMatchObject({ status: 200, body: { received: 3, stored: 2, refused: 1, replayed: false } });
    const rejectLines = () => readFileSync(join(dir, 'rejects.jsonl'), 'utf8').trim().split('\n');
    const rejectsBefore = rejectLines();
    const counted = await settledSelfCounters(serve);
    await serve.stop('SIGKILL');
    serve = await ServeProcess.start(join(dir, 'tokenledger.yaml'));
    // This process has not seen the push, and the ledger has committed other batches since (the restart's).
    expect(await push(serve, '/ingest/v1/kong', body, key)).toEqual({
      status: 200,
      retryAfter: null,
      body: { ...first.body, replayed: true },
    });
    expect(await settledSelfCounters(serve)).toEqual(counted);
    expect(await serve.metricSum('tokenledger_push_records_total')).toBe(0);
    expect(rejectLines()).toEqual(rejectsBefore);
    expect(rejectLines().filter((l) => l.includes(first.body.pushId!))).toHaveLength(1);
    // The same key with another body is still refused, by the receipt's body hash.
    expect((await push(serve, '/ingest/v1/kong', `${body}\n`, key)).status).toBe(422);
    expect((await ledgerRows(serve)).filter((r) => r.user === 'ivan')).toEqual(
      expectedRows(
        [0, 1].map(() => ({ user: 'ivan', model: 'gpt-4o', failed: false, input: 50, cacheRead: 0, output: 5 }))
      )
    );
  });

  it('quarantines refused records in the ledger, exactly once, like refused lines', async () => {
    await serve.stop();
    const ledger = await openLedger(ledgerSpecOf(join(dir, 'ledger.duckdb')), { node: hostname(), readOnly: true });
    try {
      const rejects = await ledger.rejectsAfter(0);
      expect(rejects.map((r) => [r.reject.source, r.reject.reason])).toEqual([
        ['push:litellm', 'invalid_json'],
        ['push:kong', 'invalid_field'],
      ]);
    } finally {
      await ledger.close();
    }
  });
});

describe('push with tokens configured', () => {
  let serve: ServeProcess;

  beforeAll(async () => {
    const dir = tempDir('tl-push-auth-');
    writeFileSync(join(dir, 'app.log'), '');
    const config = writeServeConfig(
      dir,
      join(dir, 'app.log'),
      `auth:
  metrics: required
  tokens:
    - { name: ops, role: admin, sha256: ${hashToken(TOKENS.admin)} }
    - { name: eng, team: engineering, sha256: ${hashToken(TOKENS.team)} }
    - { name: litellm-gateway, role: ingest, sha256: ${hashToken(TOKENS.gateway)} }
`
    );
    serve = await ServeProcess.start(config);
  });
  afterAll(async () => serve?.stop());

  it('stores a push only with an ingest token; admin and scoped tokens cannot push', async () => {
    const body = fixture('litellm-generic-api-single.json');
    const none = await push(serve, '/ingest/v1/litellm', body);
    expect(none).toMatchObject({
      status: 401,
      body: { error: 'missing or invalid token (send Authorization: Bearer <ingest token>)' },
    });
    expect((await push(serve, '/ingest/v1/litellm', body, bearer('wrong-token'))).status).toBe(401);
    expect(await push(serve, '/ingest/v1/litellm', body, bearer(TOKENS.admin))).toMatchObject({
      status: 403,
      body: { error: 'a token of role admin cannot push usage (use a token of role ingest)' },
    });
    expect(await push(serve, '/ingest/v1/litellm', body, bearer(TOKENS.team))).toMatchObject({
      status: 403,
      body: { error: 'a token of role scoped cannot push usage (use a token of role ingest)' },
    });
    expect(await ledgerRows(serve, TOKENS.admin)).toEqual([]);
    expect(await push(serve, '/ingest/v1/litellm', body, bearer(TOKENS.gateway))).toMatchObject({
      status: 200,
      body: { stored: 1 },
    });
    expect(await ledgerRows(serve, TOKENS.admin)).toEqual(expectedRows(litellmRecords(body).map(litellmUsage)));
    const metrics = async () => (await fetch(`${serve.baseUrl}/metrics`, { headers: bearer(TOKENS.admin) })).text();
    const refusals = 'tokenledger_push_requests_total{endpoint="litellm",outcome="unauthorized"} 2';
    await waitFor(
      'the refused pushes counted',
      async () => ((await metrics()).includes(refusals) ? true : undefined),
      5000
    ).catch(() => undefined);
    const text = await metrics();
    expect(text).toContain(refusals);
    expect(text).toContain('tokenledger_push_requests_total{endpoint="litellm",outcome="forbidden"} 2');
  });

  it('lets an ingest token read neither the API nor /metrics', async () => {
    const api = await fetch(`${serve.baseUrl}/api/v1/status`, { headers: bearer(TOKENS.gateway) });
    expect(api.status).toBe(403);
    expect(await api.json()).toEqual({ error: 'an ingest token cannot read the API (it only pushes usage)' });
    const metrics = await fetch(`${serve.baseUrl}/metrics`, { headers: bearer(TOKENS.gateway) });
    expect(metrics.status).toBe(403);
    expect(await metrics.json()).toEqual({
      error: 'a token of role ingest cannot read /metrics (it shows every user)',
    });
  });
});

describe('push to serve on PostgreSQL', () => {
  let pg: RunningPostgres;
  let serve: ServeProcess | undefined;
  let replicas: ServeProcess[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await serve?.stop();
    for (const r of replicas) await r.stop();
    await pg?.stop();
  });

  /** A serve config of its own directory, replica `node` of the ledger `url`; returns its path. */
  const replicaConfig = (url: string, node: string): string => {
    const dir = tempDir('tl-push-pg-');
    writeFileSync(join(dir, 'app.log'), '');
    const config = writeServeConfig(dir, join(dir, 'app.log'), `node: ${node}\n`);
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace('ledger: ledger.duckdb', `ledger: ${JSON.stringify(url)}`)
    );
    return config;
  };

  it('stores and counts a push sent to two replicas at once, and again to each, once over the fleet', async () => {
    const url = await pg.createDatabase('push_replicas');
    const configs = ['replica-a', 'replica-b'].map((node) => replicaConfig(url, node));
    replicas = await Promise.all(configs.map((c) => ServeProcess.start(c)));
    const entries = [0, 1, 2, 3].map((i) =>
      kongEntry(`fleet-${i}`, 'judy', i % 2 ? 'gpt-4o' : 'gpt-4o-mini', 90 + i, 9 + i)
    );
    const body = [...entries.map((e) => JSON.stringify(e)), '{"request":{"id":"fleet-bad"},"started_at":"soon"}'].join(
      '\n'
    );
    const key = { 'idempotency-key': 'kong-fleet-0001' };
    const both = await Promise.all(replicas.map((r) => push(r, '/ingest/v1/kong', body, key)));
    expect(both.map((a) => a.status)).toEqual([200, 200]);
    expect(both.map((a) => a.body.replayed).sort()).toEqual([false, true]);
    const first = both.find((a) => !a.body.replayed)!;
    expect(first.body).toMatchObject({ received: 5, stored: 4, repeats: 0, refused: 1 });
    for (const a of both) expect(a.body).toEqual({ ...first.body, replayed: a.body.replayed });
    // Retried to each replica, the one that committed it and the other.
    for (const r of replicas)
      expect(await push(r, '/ingest/v1/kong', body, key)).toMatchObject({
        status: 200,
        body: { ...first.body, replayed: true },
      });

    const texts = await Promise.all(replicas.map(settledMetrics));
    const fleetSum = (name: string, labels: Record<string, string> = {}) =>
      texts.reduce((n, text) => n + sumSamples(text, name, labels), 0);
    expect(fleetSum('tokenledger_lines_read_total', { source: 'push:kong' })).toBe(5);
    expect(fleetSum('tokenledger_lines_rejected_total')).toBe(1);
    expect(fleetSum('tokenledger_requests_total')).toBe(4);
    expect(fleetSum('tokenledger_push_records_total', { result: 'stored' })).toBe(4);
    expect(fleetSum('tokenledger_push_records_total', { result: 'refused' })).toBe(1);
    expect(fleetSum('tokenledger_push_requests_total', { outcome: 'replayed' })).toBe(3);
    const rejectFiles = configs.map((c) => join(c, '..', 'rejects.jsonl'));
    const quarantined = rejectFiles.flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : []));
    expect(quarantined).toEqual([expect.stringContaining(first.body.pushId!)]);
    for (const r of replicas) expect(await ledgerRows(r)).toEqual(expectedRows(entries.map(kongUsage)));
  });

  it('answers 503 with Retry-After while the ledger cannot commit, stores nothing of it, and takes it whole when sent again', async () => {
    serve = await ServeProcess.start(replicaConfig(await pg.createDatabase('push'), 'replica-1'));

    const litellm = fixture('litellm-generic-api.ndjson');
    expect(await push(serve, '/ingest/v1/litellm', litellm)).toMatchObject({ status: 200, body: { stored: 4 } });

    await pg.kill();
    const kong = fixture('kong-http-log-queue.json');
    const down = await push(serve, '/ingest/v1/kong', kong);
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBe('5');
    expect(down.body.error).toBe('the ledger cannot commit now; nothing of this push was stored, send it again');
    expect(serve.log).toMatch(/push to \/ingest\/v1\/kong not stored: .*PostgreSQL/);
    await expectPushCount(serve, 'kong', 'unavailable', 1);

    await pg.restart();
    // As a sender does: again after Retry-After until it is taken (the pool may find a dead connection first).
    const again = await waitFor('the push to be taken after the restart', async () => {
      const a = await push(serve!, '/ingest/v1/kong', kong);
      return a.status === 503 ? undefined : a;
    });
    expect(again).toMatchObject({
      status: 200,
      body: { received: 4, stored: 4, replayed: false },
    });
    expect(await ledgerRows(serve)).toEqual(
      expectedRows([...litellmRecords(litellm).map(litellmUsage), ...kongRecords(kong).map(kongUsage)])
    );
    expect(await serve.metricSum('tokenledger_lines_read_total', { source: 'push:kong' })).toBe(4);
  });
});

/** A Kong http-log entry of the fixtures' shape (kong-http-log-queue.json) with the given request and usage. */
function kongEntry(id: string, user: string, model: string, prompt: number, completion: number): KongEntry & object {
  const entry = JSON.parse(fixture('kong-http-log-single.json').toString('utf8')) as KongEntry & {
    started_at: number;
  };
  entry.request.id = id;
  entry.consumer.username = user;
  entry.ai.proxy.meta.response_model = model;
  (entry.ai.proxy.meta as { request_model?: string }).request_model = model;
  entry.ai.proxy.usage = { prompt_tokens: prompt, completion_tokens: completion };
  return entry;
}
