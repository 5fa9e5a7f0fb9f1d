import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { hashToken } from '../src/auth/apiTokens';
import { formatPicoUsd } from '../src/money';
import { logsBody, LogInput, RESPONSE_DECODERS, SpanInput, tracesBody } from './fixtures/otlp/officialEncoder';
import { requireBuiltCli, ServeProcess, tempDir, waitFor } from './helpers';
import { writeServeConfig } from './serveConfig';

// OTLP/HTTP pushed to a real `serve` (the built CLI, real HTTP on 127.0.0.1, a real DuckDB file) as the
// OpenTelemetry Collector's otlphttp exporter sends it: POST <endpoint>/v1/logs and /v1/traces, protobuf (its
// default) or JSON, gzip (its default compression), a bearer token from `headers:` (test/fixtures/otlp/README.md
// cites the exporter's code). Protobuf bodies are built by OpenTelemetry JS's own encoder from the same records.
// Every case ends with the ledger's totals, read through the chargeback API, equal to totals computed here from
// the fixtures by the senders' field semantics (LiteLLM, Kong, the GenAI semantic conventions).

const FIXTURES = join(__dirname, 'fixtures', 'otlp');
const TOKENS = { admin: 'admin-token-otlp-0123456789', collector: 'collector-token-otlp-0123456789' };
/** The Collector's User-Agent (exporter/otlphttpexporter/otlp.go sets it from its build info). */
const USER_AGENT = 'OpenTelemetry Collector Contrib/0.140.0 (linux/amd64)';

// ---- OTLP JSON read the plain way, for the expected totals (not through parse/otlp) ----

interface KeyValue {
  key: string;
  value: AnyValue;
}
interface AnyValue {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
  kvlistValue?: { values: KeyValue[] };
  arrayValue?: { values: AnyValue[] };
}
interface JsonLogRecord {
  body: AnyValue;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  status: { code?: number };
  name: string;
}

const logsFixture = JSON.parse(readFileSync(join(FIXTURES, 'collector-filelog-logs.json'), 'utf8')) as {
  resourceLogs: { scopeLogs: { logRecords: JsonLogRecord[] }[] }[];
};
const tracesFixture = JSON.parse(readFileSync(join(FIXTURES, 'collector-genai-traces.json'), 'utf8')) as {
  resourceSpans: { scopeSpans: { spans: JsonSpan[] }[] }[];
};
const logRecords = logsFixture.resourceLogs[0]!.scopeLogs[0]!.logRecords;
const spans = tracesFixture.resourceSpans[0]!.scopeSpans[0]!.spans;

function plain(v: AnyValue): unknown {
  if (v.kvlistValue) return Object.fromEntries(v.kvlistValue.values.map((kv) => [kv.key, plain(kv.value)]));
  if (v.arrayValue) return v.arrayValue.values.map(plain);
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.doubleValue ?? v.boolValue ?? null;
}

/** What one request adds to the ledger, as its sender means it. */
interface Usage {
  user: string;
  model: string;
  failed: boolean;
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

/** A log record's usage: LiteLLM's (prompt_tokens include the cached ones) or Kong's; undefined for other lines. */
function logUsage(record: JsonLogRecord): Usage | undefined {
  const body = plain(record.body);
  let o: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture JSON, shapes below
  try {
    o = typeof body === 'string' ? JSON.parse(body) : body;
  } catch {
    return undefined;
  }
  if (o.call_type) {
    const u = o.metadata.usage_object;
    const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
    return {
      user: o.metadata.user_api_key_user_id,
      model: o.model,
      failed: o.status === 'failure',
      input: u.prompt_tokens - cached,
      cacheRead: cached,
      cacheWrite: 0,
      output: u.completion_tokens,
    };
  }
  return {
    user: o.consumer.username,
    model: o.ai.proxy.meta.response_model,
    failed: o.response.status >= 400,
    input: o.ai.proxy.usage.prompt_tokens,
    cacheRead: 0,
    cacheWrite: 0,
    output: o.ai.proxy.usage.completion_tokens,
  };
}

const attr = (s: JsonSpan, key: string): unknown => {
  const kv = s.attributes.find((a) => a.key === key);
  return kv ? plain(kv.value) : undefined;
};

/** A span's usage by the semantic conventions: input_tokens includes cache reads and writes. */
function spanUsage(s: JsonSpan): Usage | undefined {
  if (!s.attributes.some((a) => a.key.startsWith('gen_ai.usage.'))) return undefined;
  const n = (key: string) => Number(attr(s, key) ?? 0);
  const cacheRead = n('gen_ai.usage.cache_read.input_tokens');
  const cacheWrite = n('gen_ai.usage.cache_creation.input_tokens');
  return {
    user: String(attr(s, 'user.id')),
    model: String(attr(s, 'gen_ai.response.model') ?? attr(s, 'gen_ai.request.model')),
    failed: s.status.code === 2,
    input: n('gen_ai.usage.input_tokens') - cacheRead - cacheWrite,
    cacheRead,
    cacheWrite,
    output: n('gen_ai.usage.output_tokens'),
  };
}

/** pico-USD per token of TEST_PRICES (USD per million tokens x 10^6). */
const PRICES: Record<string, { input: bigint; cacheRead: bigint; cacheWrite: bigint; output: bigint }> = {
  'gpt-4o': { input: 2_500_000n, cacheRead: 1_250_000n, cacheWrite: 0n, output: 10_000_000n },
  'gpt-4o-mini': { input: 150_000n, cacheRead: 75_000n, cacheWrite: 0n, output: 600_000n },
  'claude-haiku-4-5': { input: 1_000_000n, cacheRead: 100_000n, cacheWrite: 1_250_000n, output: 5_000_000n },
};

const byUserModel = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
  `${String(a.user)}\0${String(a.model)}` < `${String(b.user)}\0${String(b.model)}` ? -1 : 1;

function expectedRows(usages: Usage[]): Record<string, string | number>[] {
  const groups = new Map<string, Usage[]>();
  for (const u of usages) groups.set(`${u.user}\0${u.model}`, [...(groups.get(`${u.user}\0${u.model}`) ?? []), u]);
  return [...groups.values()]
    .map((us) => {
      const p = PRICES[us[0]!.model]!;
      const sum = (f: (u: Usage) => number) => us.reduce((n, u) => n + f(u), 0);
      const cost = us.reduce(
        (c, u) =>
          c +
          BigInt(u.input) * p.input +
          BigInt(u.cacheRead) * p.cacheRead +
          BigInt(u.cacheWrite) * p.cacheWrite +
          BigInt(u.output) * p.output,
        0n
      );
      return {
        user: us[0]!.user,
        model: us[0]!.model,
        requests: us.length,
        failedRequests: sum((u) => (u.failed ? 1 : 0)),
        inputTokens: sum((u) => u.input + u.cacheRead + u.cacheWrite),
        cacheReadTokens: sum((u) => u.cacheRead),
        cacheWriteTokens: sum((u) => u.cacheWrite),
        outputTokens: sum((u) => u.output),
        costUsd: formatPicoUsd(cost),
      };
    })
    .sort(byUserModel);
}

const COMPARED = [
  'user',
  'model',
  'requests',
  'failedRequests',
  'inputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'outputTokens',
  'costUsd',
];

async function ledgerRows(serve: ServeProcess, users: string[]): Promise<Record<string, string | number>[]> {
  const res = await fetch(
    `${serve.baseUrl}/api/v1/breakdown?from=2025-12-01T00:00:00Z&to=2025-12-02T00:00:00Z&groupBy=user,model`,
    { headers: { authorization: `Bearer ${TOKENS.admin}` } }
  );
  expect(res.status).toBe(200);
  const rows = ((await res.json()) as { rows: Record<string, string | number>[] }).rows;
  return rows
    .filter((r) => users.includes(String(r.user)))
    .map((r) => Object.fromEntries(COMPARED.map((k) => [k, r[k]!])))
    .sort(byUserModel);
}

// ---- the same records as OpenTelemetry JS encodes them, for protobuf bodies ----

function logInputs(): LogInput[] {
  return logRecords.map((r) => ({ body: plain(r.body) as LogInput['body'] }));
}

function spanInputs(): SpanInput[] {
  return spans.map((s) => ({
    traceId: s.traceId,
    spanId: s.spanId,
    name: s.name,
    startNs: BigInt(s.startTimeUnixNano),
    endNs: BigInt(s.endTimeUnixNano),
    statusCode: (s.status.code ?? 0) as 0 | 1 | 2,
    attributes: Object.fromEntries(s.attributes.map((a) => [a.key, plain(a.value)])) as SpanInput['attributes'],
  }));
}

// ---- the exporter's requests ----

type Encoding = 'protobuf' | 'json';
const CONTENT_TYPE: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

interface OtlpReply {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: Buffer;
}

async function otlpPost(
  serve: ServeProcess,
  path: string,
  encoding: Encoding,
  body: Uint8Array,
  {
    token = TOKENS.collector,
    contentType = CONTENT_TYPE[encoding],
  }: { token?: string | null; contentType?: string } = {}
): Promise<OtlpReply> {
  const headers: Record<string, string> = {
    'content-type': contentType,
    'content-encoding': 'gzip',
    'user-agent': USER_AGENT,
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${serve.baseUrl}${path}`, { method: 'POST', headers, body: gzipSync(body) });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    retryAfter: res.headers.get('retry-after'),
    body: Buffer.from(await res.arrayBuffer()),
  };
}

beforeAll(() => requireBuiltCli());

describe('OTLP/HTTP to serve, as the Collector sends it', () => {
  let dir: string;
  let serve: ServeProcess;

  beforeAll(async () => {
    dir = tempDir('tl-otlp-');
    writeFileSync(join(dir, 'app.log'), '');
    const config = writeServeConfig(
      dir,
      join(dir, 'app.log'),
      `auth:
  tokens:
    - { name: ops, role: admin, sha256: ${hashToken(TOKENS.admin)} }
    - { name: otel-collector, role: ingest, sha256: ${hashToken(TOKENS.collector)} }
`
    );
    serve = await ServeProcess.start(config);
  });
  afterAll(async () => serve?.stop());

  it("POST /v1/logs: a pod's lines in JSON, then protobuf; noise refused as a partial success; a retried export counted once", async () => {
    const json = readFileSync(join(FIXTURES, 'collector-filelog-logs.json'));
    const first = await otlpPost(serve, '/v1/logs', 'json', json);
    expect(first.status).toBe(200);
    // Exactly: the exporter reads a partial success only when Content-Type equals application/json or
    // application/x-protobuf (otlp.go, tracesPartialSuccessHandler and its siblings: `switch contentType`).
    expect(first.contentType).toBe('application/json');
    const answer = RESPONSE_DECODERS.logs.json.deserializeResponse(first.body);
    expect(Number(answer.partialSuccess?.rejectedLogRecords)).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toMatch(
      /request\.resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[1\]: invalid_json/
    );

    // The Collector's retry of the same export (its sending queue after a timeout): the same answer, nothing again.
    const retry = await otlpPost(serve, '/v1/logs', 'json', json);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);

    // The same records in protobuf (the exporter's default encoding): stored already, refused line again.
    const proto = await otlpPost(serve, '/v1/logs', 'protobuf', logsBody('protobuf', logInputs()));
    expect(proto.status).toBe(200);
    expect(proto.contentType).toBe('application/x-protobuf');
    expect(
      Number(RESPONSE_DECODERS.logs.protobuf.deserializeResponse(proto.body).partialSuccess?.rejectedLogRecords)
    ).toBe(1);

    const usages = logRecords.map(logUsage).filter((u): u is Usage => u !== undefined);
    expect(usages).toHaveLength(4);
    expect(await ledgerRows(serve, ['otlp-alice', 'otlp-bob', 'otlp-dave'])).toEqual(expectedRows(usages));
    // The uvicorn line quarantined like a refused line, named by its record, without its content.
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects.filter((r) => r.source === 'push:otlp_logs').map((r) => [r.reason, r.line])).toEqual([
      ['invalid_json', 2],
      ['invalid_json', 2],
    ]);
  });

  it('POST /v1/traces: GenAI spans in protobuf, then JSON; the HTTP span skipped; each call counted once', async () => {
    const proto = await otlpPost(serve, '/v1/traces', 'protobuf', tracesBody('protobuf', spanInputs()));
    expect(proto.status).toBe(200);
    expect(proto.contentType).toBe('application/x-protobuf');
    // Full success: partial_success unset, an empty message.
    expect(proto.body.length).toBe(0);
    const json = await otlpPost(
      serve,
      '/v1/traces',
      'json',
      readFileSync(join(FIXTURES, 'collector-genai-traces.json'))
    );
    expect(json.status).toBe(200);
    expect(RESPONSE_DECODERS.traces.json.deserializeResponse(json.body)).toEqual({});

    const usages = spans.map(spanUsage).filter((u): u is Usage => u !== undefined);
    expect(usages).toHaveLength(3);
    expect(await ledgerRows(serve, ['otlp-carol', 'otlp-erin'])).toEqual(expectedRows(usages));
    // The HTTP span of each export skipped, counted; the second export's calls repeats of the first's.
    const records = (result: string) =>
      serve.metricSum('tokenledger_push_records_total', { endpoint: 'otlp_traces', result });
    await waitFor('the second export counted', async () => ((await records('repeat')) === 3 ? true : undefined), 5000);
    expect([
      await records('stored'),
      await records('repeat'),
      await records('skipped'),
      await records('refused'),
    ]).toEqual([3, 3, 2, 0]);
  });

  it('answers failures with a google.rpc.Status the exporter reads, retryable or not as the specification says', async () => {
    // Not a protobuf ExportLogsServiceRequest: 400, not retried.
    const bad = await otlpPost(serve, '/v1/logs', 'protobuf', Buffer.from([0x0a, 0x05, 0x12]));
    expect(bad.status).toBe(400);
    expect(bad.contentType).toBe('application/x-protobuf');
    expect([...bad.body.subarray(0, 3)]).toEqual([0x08, 3, 0x12]); // code INVALID_ARGUMENT, then the message
    expect(bad.body.subarray(4).toString()).toMatch(/not a protobuf ExportLogsServiceRequest/);

    const badJson = await otlpPost(serve, '/v1/traces', 'json', Buffer.from('{"resourceSpans": 3}'));
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body.toString())).toEqual({
      code: 3,
      message: 'request.resourceSpans: expected an array',
    });

    const other = await otlpPost(serve, '/v1/logs', 'json', Buffer.from('x'), { contentType: 'text/plain' });
    expect(other.status).toBe(415);

    const anonymous = await otlpPost(serve, '/v1/logs', 'json', Buffer.from('{}'), { token: null });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body.toString())).toMatchObject({ code: 16 });
    const admin = await otlpPost(serve, '/v1/traces', 'json', Buffer.from('{}'), { token: TOKENS.admin });
    expect(admin.status).toBe(403);
  });
});
