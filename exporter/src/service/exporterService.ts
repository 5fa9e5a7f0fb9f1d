import { mkdirSync, unwatchFile, watchFile } from 'node:fs';
import type { Server } from 'node:http';
import { dirname } from 'node:path';
import { Config, loadConfig } from '../config/config';
import { retentionCutoffMs } from '../config/ledgerConfig';
import { Ledger, LedgerError, LedgerUnavailableError } from '../ledger/ledger';
import { ledgerLocation, openLedger } from '../ledger/open';
import { repriceRangeWith, repriceRunJson, RepriceRunJson, repriceWith } from '../ledger/reprice';
import type { Logger } from '../log';
import { ExporterMetrics, SourceLag } from '../metrics/exporterMetrics';
import { seedMetricsFromLedger } from '../metrics/seedFromLedger';
import { BATCH_HEAP_TRIMMER, HeapTrimmer } from './releaseHeap';
import { Pipeline } from '../pipeline/pipeline';
import { RejectFile } from '../pipeline/rejectFile';
import { sourceContext } from '../pipeline/sourceContext';
import { IdentityMap } from '../pricing/identityMap';
import { loadPriceBooks } from '../pricing/loadPriceBook';
import { Pricer } from '../pricing/pricer';
import { chargebackApi } from '../api/router';
import type { AuthConfig } from '../auth/apiTokens';
import { BudgetTracker } from '../budgets/budgetTracker';
import { enforcementDoors } from '../api/enforcementDoors';
import { BudgetEnforcer } from '../enforcement/budgetEnforcer';
import { GrpcDoor } from '../enforcement/extAuthz/grpcDoor';
import { withHttpDoor } from '../enforcement/extAuthz/httpDoor';
import { closeServer, createApp, listen } from '../server/httpServer';
import { PushIngest } from './pushIngest';
import { PrometheusSource } from '../sources/prometheusSource';
import { FileFollower } from '../sources/fileFollower';
import { describeEvent } from '../sources/followerEvents';
import { patternProblems } from '../sources/glob';
import { readStream } from '../sources/streamSource';
import type { ReadHandler } from '../sources/types';

/** How often months beyond `retention_months` are looked for. */
const RETENTION_INTERVAL_MS = 3_600_000;

/** How often an idle replica asks the ledger whether it answers (for /readyz). */
const LEDGER_CHECK_INTERVAL_MS = 2_000;

/** Ingest lag beyond which /readyz reports not ready. */
const MAX_READY_LAG_SECONDS = 300;

interface FollowedSource {
  name: string;
  /** A file follower, or a prometheus source's stepper: what the loop polls. */
  follower: Pick<FileFollower, 'poll' | 'backlog' | 'close'>;
  handler: ReadHandler;
}

/**
 * `tokenledger serve`: follows every configured source into the ledger and serves /metrics and the API.
 * Stops gracefully (SIGTERM/SIGINT: last batch committed), reloads prices and identities on SIGHUP.
 */
export class ExporterService {
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  private followed: FollowedSource[] = [];
  private server: Server | undefined;
  /** Envoy's ext_authz over gRPC, when enforcement.grpc_listen is set. */
  private grpcDoor: GrpcDoor | undefined;
  private pricer: Pricer;
  private identities: IdentityMap;
  private auth: AuthConfig;
  readonly metrics: ExporterMetrics;
  readonly budgets: BudgetTracker;
  /** The decision behind the enforcement doors (docs/enforcement.md). */
  readonly enforcer: BudgetEnforcer;
  readonly pipeline: Pipeline;
  private loopError: Error | undefined;
  private readonly rejectFile: RejectFile;
  /** Gives back the garbage of a burst of work (the start, a reload) once serve is idle. */
  private readonly heapTrimmer = new HeapTrimmer();
  /** Since when the commits of a batch have been failing (retried meanwhile), or undefined. */
  private commitsFailingSinceMs: number | undefined;
  /** Since when the ledger's server has not answered a ping (checkLedger), or undefined. */
  private ledgerUnreachableSinceMs: number | undefined;
  private lastLedgerCheckMs = 0;
  private lastRetentionMs = 0;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  /** The message of the last failed reload, until one succeeds: a repeat of it is not logged again. */
  private lastReloadError: string | undefined;

  private constructor(
    private config: Config,
    readonly ledger: Ledger,
    private readonly log: Logger
  ) {
    this.pricer = new Pricer(loadPriceBooks(config.priceFiles, config.litellmPricesEffectiveFromMs));
    this.identities = new IdentityMap(config.identities, config.defaultTier);
    this.metrics = new ExporterMetrics(config.metrics, () => this.lag());
    this.auth = config.auth;
    this.budgets = new BudgetTracker(ledger, config.budgets, config.timeZone);
    for (const m of this.budgets.metrics()) m.registerIn(this.metrics.registry);
    this.enforcer = new BudgetEnforcer(
      { ledger, pricer: () => this.pricer, identities: () => this.identities, log },
      config.budgets,
      config.timeZone,
      config.enforcement
    );
    for (const m of this.enforcer.metrics()) m.registerIn(this.metrics.registry);
    const rejects = (this.rejectFile = new RejectFile(config.rejectsFile));
    this.pipeline = new Pipeline({
      ledger,
      pricer: () => this.pricer,
      identities: () => this.identities,
      metrics: this.metrics,
      batchLines: config.batchLines,
      log,
      retry: {
        onFailing: (e) => {
          this.commitsFailingSinceMs = Date.now();
          this.log.error(
            `ledger commits are failing; retrying with backoff, reading waits meanwhile and nothing read is lost: ${e.message}`
          );
        },
        onRecovered: (failedForMs) => {
          this.commitsFailingSinceMs = undefined;
          this.log.info(`ledger commits succeed again after ${(failedForMs / 1000).toFixed(1)} s; ingestion goes on`);
        },
      },
      onCommitted: (requestIds) => this.enforcer.onCommitted(requestIds),
      onRejects: (r, batch) => {
        rejects.append(r, batch);
        const first = r[0]!;
        this.log.warn(
          `${r.length} line(s) rejected, e.g. ${first.path}:${first.line}: ${first.reason}${first.field ? ` (${first.field})` : ''}: ${first.message}; see ${config.rejectsFile}`
        );
      },
    });
  }

  static async start(config: Config, log: Logger): Promise<ExporterService> {
    if (config.ledger.engine === 'duckdb') mkdirSync(dirname(config.ledger.path), { recursive: true });
    const ledger = await openWhenReachable(config, log);
    let service: ExporterService;
    let constructed: ExporterService | undefined;
    // Seeding the metrics (and re-pricing, when the book now prices a model of unpriced rows) read the ledger in
    // chunks of row objects that live long enough to reach V8's old space, which V8 let grow to 250 MB of garbage on
    // a 1M-record ledger (bench/README.md "Footprint", session 12): collected as in a batch job until the start is
    // done, then by serve's own trimmer.
    const startTrimmer = new HeapTrimmer(BATCH_HEAP_TRIMMER);
    startTrimmer.start();
    try {
      service = constructed = new ExporterService(config, ledger, log);
      for (const w of service.pricer.book.warnings) log.warn(w);
      await seedMetricsFromLedger(ledger, service.metrics);
      const recovered = await service.rejectFile.recover(ledger);
      if (recovered)
        log.info(
          `${config.rejectsFile}: added ${recovered} quarantined line(s) the ledger holds and the file missed (stopped between a commit and its append)`
        );
      await service.reprice();
      await service.applyRetention();
      await service.startSources();
      const api = chargebackApi({
        ledger,
        budgets: service.budgets,
        auth: () => service.auth,
        log,
        reprice: (range) => service.repriceRange(range),
      });
      const push = new PushIngest({
        pipeline: service.pipeline,
        metrics: service.metrics,
        log,
        auth: () => service.auth,
        push: config.push,
        sources: config.sources,
        maxRecordBytes: config.maxLineBytes,
        unavailable: () => (service.stopping ? 'the exporter is shutting down' : undefined),
      });
      const doors = enforcementDoors({ decider: service.enforcer, auth: () => service.auth, log });
      service.enforcer.start();
      const app = createApp(service.metrics, service, api, () => service.auth, [push.router(), doors]);
      const askers = { decider: () => service.enforcer, auth: () => service.auth, log };
      if (config.enforcementGrpcListen) {
        const { host, port } = config.enforcementGrpcListen;
        service.grpcDoor = await GrpcDoor.start({ host, port, ...askers });
        log.info(`ext_authz gRPC door on ${host}:${service.grpcDoor.port}`);
      }
      service.server = await listen(withHttpDoor(app, askers), config.listen.host, config.listen.port);
      // Seeding and re-pricing are done: what they allocated is garbage that an idle serve would keep (releaseHeap.ts),
      // and the ledger's blocks they read are cached for nothing.
      await ledger.releaseCaches();
      service.heapTrimmer.start();
      if (config.watchConfig) {
        watchFile(config.file, { interval: 1000 }, (now, before) => {
          if (now.mtimeMs !== before.mtimeMs) void service.requestReload('the config file changed');
        });
      }
    } catch (e) {
      // What started before the failure (the follow loop, the parse worker) stops with it and closes the ledger:
      // left running, it would keep the process up retrying commits instead of exiting with the error.
      if (constructed) await constructed.stop();
      else await ledger.close();
      throw e;
    } finally {
      startTrimmer.stop();
    }
    return service;
  }

  get address(): { host: string; port: number } {
    const a = this.server!.address();
    if (a === null || typeof a === 'string') throw new Error('server is not listening on a TCP port');
    return { host: a.address, port: a.port };
  }

  private async reprice(): Promise<void> {
    const n = await repriceWith(this.ledger, this.pricer, (labels, cost) => this.metrics.usage.addCost(labels, cost));
    if (n) this.log.info(`priced ${n} record(s) that had no price before (price book ${this.pricer.book.version})`);
  }

  /**
   * `tokenledger reprice --serve` (POST /api/v1/reprice): prices a range again with the running book, in the
   * process that holds the ledger; each change is added to the cost counters (a lowered cost lowers its counter,
   * which Prometheus reads as a reset of that series). Budgets read the ledger, so they follow on their own.
   */
  async repriceRange(range: { fromMs: number; toMs: number }): Promise<RepriceRunJson> {
    const run = repriceRunJson(
      await repriceRangeWith(this.ledger, this.pricer, range, (labels, delta) =>
        this.metrics.usage.addCost(labels, delta)
      )
    );
    this.log.info(
      `re-priced ${run.from} to ${run.to} with price book ${run.priceVersion}: ${run.total.repriced} of ${run.total.requests} record(s) changed, cost ${run.total.oldCostUsd} -> ${run.total.newCostUsd} USD`
    );
    return run;
  }

  private async startSources(): Promise<void> {
    if (!this.config.sources.length)
      this.log.info('no sources configured: this replica stores only what gateways push to it');
    for (const s of this.config.sources) {
      const handler = this.pipeline.handler(sourceContext(s));
      if (s.prometheus) {
        const stepper = new PrometheusSource({
          source: s.name,
          ...s.prometheus,
          onError: (e) => this.log.warn(`source ${s.name}: cannot read Prometheus (tried again): ${e.message}`),
        });
        stepper.init(await this.ledger.readPositions(s.name));
        this.followed.push({ name: s.name, follower: stepper, handler });
        continue;
      }
      if (s.stdin) {
        // Runs alongside the file loop; the pipeline serialises their commits.
        void readStream(process.stdin, '-', this.config.maxLineBytes, handler)
          .then(() => this.pipeline.flush())
          .then(() => this.log.info('stdin closed; its records are committed'))
          .catch((e: Error) => this.fail(e));
        continue;
      }
      const follower = new FileFollower({
        source: s.name,
        patterns: s.paths,
        maxLineBytes: this.config.maxLineBytes,
        rotateWaitMs: this.config.rotateWaitMs,
        startAt: s.startAt,
        maxFiles: s.maxFiles,
        containerFor: () => s.container,
        events: (e) => {
          const { level, message } = describeEvent(e);
          this.log[level](`source ${s.name}: ${message}`);
          this.metrics.countFileEvent(s.name, e.event);
        },
      });
      await follower.init(await this.ledger.readPositions(s.name));
      for (const problem of patternProblems(s.paths)) this.log.warn(`source ${s.name}: ${problem}`);
      this.followed.push({ name: s.name, follower, handler });
    }
    this.loop = this.follow().catch((e: Error) => this.fail(e));
  }

  private fail(e: Error): void {
    this.loopError = e;
    this.log.error(`ingestion stopped: ${e.message}`);
  }

  /**
   * Polls, commits what was read, and polls again at once while a file holds more than a poll reads (a
   * backlog: catching up) or a poll asks for it; once caught up, waits poll_interval_ms. It used to poll again
   * at once after any poll that read something, so a gateway appending a few lines every few milliseconds kept
   * it committing batches of a few lines back to back: 1.3 cores of this 2-core VM at 100 lines a second as at
   * 4,000 (bench/README.md, session 17). Caught up, a batch now holds what poll_interval_ms brought.
   */
  private async follow(): Promise<void> {
    while (!this.stopping) {
      let again = false;
      for (const f of this.followed) again = (await f.follower.poll(f.handler)) || again;
      await this.pipeline.commit();
      await this.checkLedger();
      if (Date.now() - this.lastRetentionMs >= RETENTION_INTERVAL_MS) await this.applyRetention();
      if (!again) {
        await this.pipeline.flush();
        await sleep(this.config.pollIntervalMs);
      }
    }
  }

  /** Removes the months `retention_months` no longer keeps (at start, then every RETENTION_INTERVAL_MS). */
  private async applyRetention(): Promise<void> {
    this.lastRetentionMs = Date.now();
    if (this.config.retentionMonths === undefined) return;
    await this.pipeline.flush();
    try {
      const dropped = await this.ledger.dropMonthsBefore(retentionCutoffMs(this.config.retentionMonths, Date.now()));
      if (dropped.length)
        this.log.info(`retention (${this.config.retentionMonths} month(s) kept): removed ${dropped.join(', ')}`);
    } catch (e) {
      // Tried again at the next pass; ingestion goes on meanwhile.
      if (!(e instanceof LedgerError)) throw e;
      this.log.warn(`retention pass failed: ${e.message}`);
    }
  }

  /**
   * Asks the ledger every few seconds whether it answers: /readyz must say so when the shared ledger's server
   * is down, also while this replica has nothing to commit (so no failing commit would tell).
   */
  private async checkLedger(): Promise<void> {
    const now = Date.now();
    if (now - this.lastLedgerCheckMs < LEDGER_CHECK_INTERVAL_MS) return;
    this.lastLedgerCheckMs = now;
    try {
      await this.ledger.ping();
      if (this.ledgerUnreachableSinceMs !== undefined) this.log.info('the ledger answers again');
      this.ledgerUnreachableSinceMs = undefined;
    } catch (e) {
      if (!(e instanceof LedgerUnavailableError)) throw e;
      if (this.ledgerUnreachableSinceMs === undefined) this.log.warn(`${e.message}; reading waits until it answers`);
      this.ledgerUnreachableSinceMs ??= now;
    }
  }

  /**
   * Per source: the backlog, and the lag, the larger of two ages: of the newest committed record while the
   * files hold unread data, and of the oldest read that is not committed yet (a commit that waits or fails).
   */
  private lag(): SourceLag[] {
    const now = Date.now();
    return this.followed.map((f) => {
      const backlogBytes = f.follower.backlog().reduce((sum, b) => sum + b.bytes, 0);
      const newest = this.pipeline.newestRecordMs.get(f.name);
      const unread = backlogBytes > 0 && newest !== undefined ? now - newest : 0;
      const uncommittedSince = this.pipeline.oldestUncommittedReadMs(f.name);
      const uncommitted = uncommittedSince === undefined ? 0 : now - uncommittedSince;
      return { source: f.name, backlogBytes, lagSeconds: Math.max(0, unread, uncommitted) / 1000 };
    });
  }

  /**
   * Why the exporter is not ready, or undefined. /readyz answers without a token, so this is one of a few
   * fixed sentences: an error's own text can quote ledger data, and goes to the log only.
   */
  notReadyReason(): string | undefined {
    if (this.loopError) return 'ingestion stopped after an error; see the log';
    if (this.ledgerUnreachableSinceMs !== undefined)
      return `the ledger cannot be reached since ${new Date(this.ledgerUnreachableSinceMs).toISOString()} (see the log)`;
    if (this.commitsFailingSinceMs !== undefined)
      return `ledger commits failing since ${new Date(this.commitsFailingSinceMs).toISOString()} (retried; see the log)`;
    if (this.stopping) return 'shutting down';
    const behind = this.lag().find((l) => l.lagSeconds > MAX_READY_LAG_SECONDS);
    return behind ? `source ${behind.source} is ${Math.round(behind.lagSeconds)}s behind` : undefined;
  }

  /**
   * Reloads on a trigger (SIGHUP, the file watcher). One edit often fires both: triggers that arrive during
   * a reload coalesce into one more run after it, and a failure is logged when it is new (not when the next
   * trigger finds the same error), so one broken edit is one error line. Resolves when the reload settled.
   */
  requestReload(trigger: string): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        try {
          await this.reload();
          this.lastReloadError = undefined;
        } catch (e) {
          const message = (e as Error).message;
          if (message !== this.lastReloadError)
            this.log.error(`reload (${trigger}) failed, keeping the previous config: ${message}`);
          else this.log.debug(`reload (${trigger}) failed again, same error`);
          this.lastReloadError = message;
        }
      } while (this.reloadAgain && !this.stopping);
      this.reloading = undefined;
    })();
    return this.reloading;
  }

  /**
   * Re-reads the config file's prices, identities, budgets and API tokens (SIGHUP, or the file changed).
   * Sources, the ledger and the listen address stay as they are. A broken file changes nothing.
   */
  private async reload(): Promise<void> {
    const next = loadConfig(this.config.file);
    const pricer = new Pricer(loadPriceBooks(next.priceFiles, next.litellmPricesEffectiveFromMs));
    this.pricer = pricer;
    this.identities = new IdentityMap(next.identities, next.defaultTier);
    this.budgets.replace(next.budgets, next.timeZone);
    this.enforcer.configure(next.budgets, next.timeZone, next.enforcement);
    this.auth = next.auth;
    this.config = {
      ...this.config,
      priceFiles: next.priceFiles,
      identities: next.identities,
      defaultTier: next.defaultTier,
      budgets: next.budgets,
      enforcement: next.enforcement,
      timeZone: next.timeZone,
      auth: next.auth,
    };
    await this.pipeline.flush();
    await this.reprice();
    this.log.info(
      `reloaded ${this.config.file}: price book ${pricer.book.version}, ${next.budgets.length} budget(s), ${next.auth.tokens.length} API token(s)`
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.heapTrimmer.stop();
    this.pipeline.stopRetrying();
    unwatchFile(this.config.file);
    await this.reloading;
    await this.loop;
    await this.pipeline.flush().catch((e: Error) => this.log.error(`last batch not committed: ${e.message}`));
    await this.pipeline.close();
    await this.grpcDoor?.stop();
    await this.enforcer.stop();
    for (const f of this.followed) await f.follower.close();
    if (this.server) await closeServer(this.server);
    await this.ledger.close();
  }
}

/** The longest wait between attempts to reach a ledger server at start. */
const LONGEST_OPEN_WAIT_MS = 30_000;

/**
 * Opens the configured ledger. A server that cannot be reached yet (PostgreSQL starting beside this replica,
 * or restarting) is waited for, with backoff, saying so once; any other refusal (a wrong password, a missing
 * database, a ledger file in use) ends the start with its one-line message.
 */
async function openWhenReachable(config: Config, log: Logger): Promise<Ledger> {
  let waitMs = 1000;
  let told = false;
  for (;;) {
    try {
      const ledger = await openLedger(config.ledger, { node: config.node });
      if (told) log.info(`ledger ${ledgerLocation(config.ledger)} reached`);
      return ledger;
    } catch (e) {
      if (!(e instanceof LedgerUnavailableError)) throw e;
      if (!told) log.warn(`${e.message}; trying again until it answers`);
      told = true;
      await sleep(waitMs);
      waitMs = Math.min(waitMs * 2, LONGEST_OPEN_WAIT_MS);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
