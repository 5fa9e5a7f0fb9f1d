import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPicoUsd } from '../src/money';
import { Prometheus } from './daemons';
import { ledgerGroups, requireBuiltCli, ServeProcess, tempDir, waitFor } from './helpers';

/*
 * Kuadrant's Limitador as Red Hat MaaS runs it: `authorized_hits` counts tokens (usage.total_tokens of each
 * response) and `authorized_calls` requests, labelled by the TelemetryPolicy (user: auth.identity.userid,
 * model: responseBodyJSON("/model"), and the tier: auth.identity.tier in MaaS releases before the
 * subscription labels; opendatahub-io/models-as-a-service deployment/base/observability/
 * gateway-telemetry-policy.yaml and docs/content/advanced-administration/telemetry-defaults-and-cardinality.md:
 * `model` is only on authorized_hits) beside Limitador's own `limitador_namespace`. Counters without a `_total`
 * suffix, as Limitador's Prometheus exporter names them. A Limitador restart loses its counters: the series
 * vanish and come back from zero.
 */
interface Usage {
  user: string;
  tier: string;
  model: string;
  tokens: number;
  calls: number;
}

class FakeLimitador {
  private readonly hits = new Map<string, number>();
  private readonly calls = new Map<string, number>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(this.exposition());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  add(u: Usage): void {
    const ns = 'limitador_namespace="llm/maas-route"';
    const hitKey = `{${ns},model="${u.model}",tier="${u.tier}",user="${u.user}"}`;
    const callKey = `{${ns},tier="${u.tier}",user="${u.user}"}`;
    this.hits.set(hitKey, (this.hits.get(hitKey) ?? 0) + u.tokens);
    this.calls.set(callKey, (this.calls.get(callKey) ?? 0) + u.calls);
  }

  /** A restart: every counter gone. */
  restart(): void {
    this.hits.clear();
    this.calls.clear();
  }

  get totalHits(): number {
    return [...this.hits.values()].reduce((a, b) => a + b, 0);
  }

  private exposition(): string {
    const family = (name: string, help: string, m: Map<string, number>) =>
      [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, ...[...m].map(([k, v]) => `${name}${k} ${v}`)].join('\n');
    return `${family('authorized_hits', 'Authorized hits', this.hits)}\n${family('authorized_calls', 'Authorized calls', this.calls)}\n`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

// Rates (USD per million tokens) and the tier multiplier, for the independent computation of charges.
const RATES: Record<string, bigint> = { 'granite-3-8b': 200_000n, 'llama-3-70b': 900_000n }; // pico-USD per token
const PRICES = `version: maas-test
models:
  granite-3-8b:
    prices: [{ input: 0.20, output: 0.20 }]
  llama-3-70b:
    prices: [{ input: 0.90, output: 0.90 }]
tiers:
  premium: { multiplier: 1.5 }
`;

describe('prometheus source (Kuadrant / MaaS): Limitador counters through a real Prometheus', () => {
  let dir: string;
  let serve: ServeProcess | undefined;
  let prometheus: Prometheus | undefined;
  const limitador = new FakeLimitador();
  beforeAll(() => requireBuiltCli());
  afterAll(async () => {
    await serve?.stop('SIGKILL');
    await prometheus?.stop();
    await limitador.stop();
  });

  it('stores each step increase per series once, across a counter reset and a kill -9, priced by tier', async () => {
    dir = tempDir();
    const target = await limitador.start();
    prometheus = await Prometheus.start({ targets: [target], interval: '1s' });
    await prometheus.waitForTargetsUp();
    const seenByPrometheus = (hits: number) =>
      waitFor(`Prometheus to scrape ${hits} hits`, async () => {
        const r = await prometheus!.query('sum(authorized_hits)');
        return Number(r[0]?.value[1] ?? 0) === hits ? true : undefined;
      });

    writeFileSync(join(dir, 'prices.yaml'), PRICES);
    const config = join(dir, 'tokenledger.yaml');
    writeFileSync(
      config,
      `ledger: ledger.duckdb
rejects_file: rejects.jsonl
prices: prices.yaml
listen: 127.0.0.1:0
poll_interval_ms: 100
sources:
  - name: maas
    prometheus:
      url: ${prometheus.url}
      step: 2s
      delay: 3s
      since: ${new Date(Date.now() - 2000).toISOString()}
      tokens_metric: authorized_hits
      requests_metric: authorized_calls
      labels: { user: user, tier: tier, model: model }
`
    );
    serve = await ServeProcess.start(config);

    const expected: Usage[] = [];
    const phase = async (usages: Usage[]) => {
      for (const u of usages) {
        limitador.add(u);
        expected.push(u);
      }
      await seenByPrometheus(limitador.totalHits);
    };
    await phase([
      { user: 'alice', tier: 'free', model: 'granite-3-8b', tokens: 300, calls: 3 },
      { user: 'bob', tier: 'premium', model: 'granite-3-8b', tokens: 120, calls: 2 },
    ]);
    await phase([
      { user: 'alice', tier: 'free', model: 'llama-3-70b', tokens: 50, calls: 1 },
      { user: 'bob', tier: 'premium', model: 'llama-3-70b', tokens: 1000, calls: 4 },
    ]);
    await serve.stop('SIGKILL');
    await phase([{ user: 'alice', tier: 'free', model: 'granite-3-8b', tokens: 75, calls: 1 }]);
    serve = await ServeProcess.start(config);
    // Limitador restarts: its series vanish, then come back from zero, below their last values.
    limitador.restart();
    await waitFor('the series gone from Prometheus', async () =>
      (await prometheus!.query('authorized_hits')).length === 0 ? true : undefined
    );
    await phase([
      { user: 'alice', tier: 'free', model: 'granite-3-8b', tokens: 40, calls: 1 },
      { user: 'bob', tier: 'premium', model: 'llama-3-70b', tokens: 10, calls: 1 },
    ]);
    await phase([{ user: 'carol', tier: 'premium', model: 'granite-3-8b', tokens: 7, calls: 2 }]);

    const calls = expected.reduce((a, u) => a + u.calls, 0);
    const tokens = expected.reduce((a, u) => a + u.tokens, 0);
    await waitFor(
      `${calls} requests and ${tokens} tokens in the ledger's metrics`,
      async () =>
        (await serve!.metricSum('tokenledger_requests_total')) === calls &&
        (await serve!.metricSum('tokenledger_tokens_total')) === tokens
          ? true
          : undefined,
      60_000
    );
    await serve.stop();
    serve = undefined;

    // The totals computed here from what the fake Limitador counted.
    const want = new Map<string, { inputTokens: number; charge: bigint }>();
    for (const u of expected) {
      const key = `${u.user} ${u.model}`;
      const w = want.get(key) ?? { inputTokens: 0, charge: 0n };
      w.inputTokens += u.tokens;
      const cost = BigInt(u.tokens) * RATES[u.model]!;
      w.charge += u.tier === 'premium' ? (cost * 3n) / 2n : cost;
      want.set(key, w);
    }
    const byUserModel = await ledgerGroups(join(dir, 'ledger.duckdb'), ['user', 'model']);
    expect(
      Object.fromEntries(
        byUserModel.rows.map((r) => [`${r.user} ${r.model}`, [r.inputTokens, r.outputTokens, r.chargeUsd]])
      )
    ).toEqual(Object.fromEntries([...want].map(([k, w]) => [k, [w.inputTokens, 0, formatPicoUsd(w.charge)]])));
    const byUser = await ledgerGroups(join(dir, 'ledger.duckdb'), ['user']);
    const callsBy = (user: string) => expected.filter((u) => u.user === user).reduce((a, u) => a + u.calls, 0);
    expect(Object.fromEntries(byUser.rows.map((r) => [r.user, r.requests]))).toEqual({
      alice: callsBy('alice'),
      bob: callsBy('bob'),
      carol: callsBy('carol'),
    });
  }, 240_000);
});
