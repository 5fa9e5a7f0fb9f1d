/**
 * The demo, for real: `tokenledger serve` on a copy of the bundled example logs (examples/tokenledger.yaml's
 * sources, prices, identities and budgets), scraped by a real Prometheus. `appendFresh` then writes requests
 * stamped "now", so rates and the current budget periods move (the bundled logs are from January 2025).
 */
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { requireBinary, Prometheus } from '../../exporter/test/daemons';
import { litellmLine, requireBuiltCli, ServeProcess, tempDir, waitFor } from '../../exporter/test/helpers';

const EXAMPLES = resolve(__dirname, '../../examples');

/** One value of each filter that the fresh requests carry together (so every filter set to it finds data). */
export const FRESH = {
  user: 'alice@example.com',
  model: 'gpt-4o',
  tier: 'premium',
  team: 'engineering',
  api_key: 'alice-laptop',
  scope: 'user',
  subject: 'alice@example.com',
} as const;

interface LitellmRecord {
  id: string;
  status: string;
  startTime: number;
  endTime: number;
  model: string;
  prompt_tokens: number;
  metadata: { user_api_key_user_id: string; user_api_key_alias: string; usage_object: { prompt_tokens: number } };
  request_tags: string[];
}

/** A LiteLLM line from the exporter's test generator, moved to `atMs` and given the FRESH identity. */
export function freshLine(
  i: number,
  atMs: number,
  overrides: { user?: string; model?: string; status?: string; promptTokens?: number } = {}
): string {
  const r = JSON.parse(
    litellmLine(i, {
      idPrefix: `fresh-${atMs}`,
      user: overrides.user ?? FRESH.user,
      model: overrides.model ?? FRESH.model,
    })
  ) as LitellmRecord;
  if (overrides.promptTokens !== undefined) {
    r.prompt_tokens = overrides.promptTokens;
    r.metadata.usage_object.prompt_tokens = overrides.promptTokens;
  }
  r.status = overrides.status ?? 'success';
  r.startTime = atMs / 1000 - 2;
  r.endTime = atMs / 1000 - 2 + 0.5 + (i % 7) * 0.4;
  r.metadata.user_api_key_alias = overrides.user ? `key-${i % 3}` : FRESH.api_key;
  r.request_tags = [`tier:${FRESH.tier}`];
  return JSON.stringify(r);
}

/**
 * The requests `appendFresh` writes: FRESH's user, model, tier, key and team (one failure), a second user, and a
 * model without a price.
 */
export function freshLines(atMs: number): string[] {
  return [
    ...Array.from({ length: 12 }, (_, i) => freshLine(i, atMs, { status: i === 5 ? 'failure' : 'success' })),
    ...Array.from({ length: 4 }, (_, i) => freshLine(100 + i, atMs, { user: 'bob@example.com', model: 'gpt-4o-mini' })),
    freshLine(200, atMs, { user: 'carol@example.com', model: 'llama-3.1-70b-instruct' }),
  ];
}

/**
 * A budget of the one scope the example config has none of, so every scope's budget is on the test Prometheus:
 * the FRESH requests' API key, monthly. It warns (enforce: warn), as does FRESH's user budget, so the enforcement
 * panels have budgets to show.
 */
export const API_KEY_BUDGET = {
  scope: 'apiKey',
  subject: FRESH.api_key,
  period: 'monthly',
  limit_usd: 100,
  enforce: 'warn',
} as const;

/** Where the demo copy's LiteLLM log is, for appending. */
export const demoLog = (dir: string) => join(dir, 'logs/litellm/litellm-spend.jsonl');

/**
 * Writes the demo config for a temporary copy of examples/ (same sources, identities and budgets) plus `extra`
 * and `budgets` (added to the example's); the example's budgets of the `warned` subjects get `enforce: warn`.
 */
export function writeDemoConfig(
  dir: string,
  extra: Record<string, unknown> = {},
  budgets: ReadonlyArray<Record<string, unknown>> = [],
  warned: readonly string[] = []
): string {
  cpSync(join(EXAMPLES, 'logs'), join(dir, 'logs'), { recursive: true });
  const config = parse(readFileSync(join(EXAMPLES, 'tokenledger.yaml'), 'utf8')) as Record<string, unknown>;
  Object.assign(config, {
    ledger: join(dir, 'ledger.duckdb'),
    rejects_file: join(dir, 'rejects.jsonl'),
    prices: join(EXAMPLES, 'prices.yaml'),
    listen: '127.0.0.1:0',
    poll_interval_ms: 100,
    ...extra,
  });
  const example = (config['budgets'] as Record<string, unknown>[] | undefined) ?? [];
  config['budgets'] = [
    ...example.map((b) => (warned.includes(b['subject'] as string) ? { ...b, enforce: 'warn' } : b)),
    ...budgets,
  ];
  const path = join(dir, 'tokenledger.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

/**
 * The demo stack: `replicas` exporters, each on its own copy of the demo (same logs, config and budgets, so the same
 * budget gauges, as replicas sharing one ledger export), scraped by one Prometheus as job `tokenledger`, one target
 * (`instance`) each.
 */
export class DemoStack {
  private constructor(
    readonly dirs: readonly string[],
    readonly serves: readonly ServeProcess[],
    readonly prometheus: Prometheus
  ) {}

  static async start(replicas = 1): Promise<DemoStack> {
    requireBuiltCli();
    requireBinary('prometheus', 'prometheus');
    const dirs: string[] = [];
    const serves: ServeProcess[] = [];
    let prometheus: Prometheus | undefined;
    try {
      for (let i = 0; i < replicas; i++) {
        const dir = tempDir('tl-dashboards-');
        dirs.push(dir);
        serves.push(await ServeProcess.start(writeDemoConfig(dir, {}, [API_KEY_BUDGET], [FRESH.user])));
      }
      for (const serve of serves)
        await waitFor(
          'the demo logs to be ingested',
          async () => ((await serve.metricSum('tokenledger_lines_read_total')) >= 1500 ? true : undefined),
          60_000,
          100
        );
      prometheus = await Prometheus.start({ targets: serves.map((s) => new URL(s.baseUrl).host), interval: '1s' });
      await prometheus.waitForTargetsUp();
      return new DemoStack(dirs, serves, prometheus);
    } catch (e) {
      await prometheus?.stop();
      for (const serve of serves) await serve.stop();
      throw e;
    }
  }

  /**
   * Appends `freshLines` stamped now and a line that is not JSON to every replica's log, then waits until Prometheus
   * has scraped them and a few more samples, so rates over the last minute are non-zero. Returns the time (Unix
   * seconds) to evaluate queries at: right after those samples, however long the queries then take to run.
   */
  async appendFresh(): Promise<number> {
    let expected = 0;
    const lines = [...freshLines(Date.now()), '{"this line is not": json'];
    for (const [i, serve] of this.serves.entries()) {
      // A gateway's pre-request checks of FRESH requests, one by key and one by user: a decision and an open
      // reservation for each of the two enforced (warning) budgets.
      for (const headers of [{ 'x-api-key-alias': FRESH.api_key }, { 'x-user-id': FRESH.user }]) {
        const checked = await fetch(`${serve.baseUrl}/api/v1/check`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ headers, body: { model: FRESH.model } }),
        });
        if (!checked.ok) throw new Error(`POST /api/v1/check answered ${checked.status}: ${await checked.text()}`);
      }
      expected += (await serve.metricSum('tokenledger_lines_read_total')) + lines.length;
      appendFileSync(demoLog(this.dirs[i]!), `${lines.join('\n')}\n`);
    }
    await waitFor(
      'Prometheus to scrape the fresh lines',
      async () => {
        const [sample] = await this.prometheus.query('sum(tokenledger_lines_read_total)');
        return sample && Number(sample.value[1]) >= expected ? true : undefined;
      },
      30_000,
      200
    );
    // Three more scrapes at the new values: rate() and histogram_quantile() over the last minute see the step.
    await new Promise((r) => setTimeout(r, 3_500));
    return Date.now() / 1000;
  }

  async stop(): Promise<void> {
    await this.prometheus.stop();
    for (const serve of this.serves) await serve.stop();
  }
}
