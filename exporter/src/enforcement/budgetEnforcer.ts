import { randomUUID } from 'node:crypto';
import { Budget, budgetKey, BudgetScope, BudgetStatus, evaluateBudgets } from '../budgets/budgets';
import { Ledger, LedgerUnavailableError } from '../ledger/ledger';
import type { Logger } from '../log';
import type { Sample } from '../metrics/snapshotMetric';
import { SnapshotMetric } from '../metrics/snapshotMetric';
import { FieldError } from '../parse/fieldError';
import type { IdentityMap } from '../pricing/identityMap';
import { formatPicoUsd, picoToUsdNumber } from '../money';
import type { Pricer } from '../pricing/pricer';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, RECORD_BOUNDS } from '../types';
import type { CheckRequest, Decider, Decision, DecisionKind } from './decider';
import { HeldReservation, Reservations } from './reservations';
import type { EnforcementSettings } from './settings';
import { maxOutputTokens, resolveSubject, Subject } from './subject';

/** How often the budgets' spend is read from the ledger besides after every commit ("every few seconds"). */
export const REFRESH_INTERVAL_MS = 2000;
/**
 * Reservations expired in one turn of the event loop. At 2,000 decisions/s a 2 s refresh finds ~4,000 due, which
 * took 6-17 ms in one pass: a stall of every request meanwhile (bench/README.md, "Decisions"). In steps of this
 * many (~0.5 ms), requests are answered between the steps.
 */
const EXPIRY_STEP = 256;
/**
 * Lapsed reservations expired by every new one: under a steady load with one TTL one lapses for every one made,
 * so the backlog shrinks on its own and the periodic pass (which the idle times need) finds little or nothing,
 * instead of a 2 s backlog of ~4,000 at 2,000/s taken in 16 steps of ~0.5 ms each.
 */
const EXPIRED_PER_RESERVATION = 2;
/** What a caller refused because the state is stale (fail: closed) is told to wait. */
const STALE_RETRY_AFTER_S = 5;

export interface EnforcerDeps {
  ledger: Ledger;
  pricer: () => Pricer;
  identities: () => IdentityMap;
  log: Logger;
  now?: () => number;
}

/** The spend of every enforced budget as last read from the ledger, and when. */
interface SpendSnapshot {
  atMs: number;
  statuses: ReadonlyMap<string, BudgetStatus>;
}

/**
 * An enforced budget with what every decision needs of it worked out once, when the config is (re)loaded:
 * its key, its limit in words, and its verdict counters (kept across reloads by key, so the counter never drops).
 */
interface EnforcedBudget {
  budget: Budget;
  key: string;
  limitText: string;
  /**
   * The grace bound as an exact comparison without a division: amount > limit × (1 + grace) when
   * amount × graceScale > graceBound (graceScale = 10^scale of the grace fraction).
   */
  graceScale: bigint;
  graceBound: bigint;
  /** Config order: of two equally strict verdicts, the first budget's answer is given. */
  index: number;
  counts: VerdictCounts;
  /** The words of its last answers, kept while its spend stays the same (see `spendWords`). */
  words: SpendWords | undefined;
}

/** What an answer says of a budget's spend: the same for every request between two reads of the ledger. */
interface SpendWords {
  spentPusd: bigint;
  /** "spent 1.5 of 10 USD" */
  spent: string;
  allow: string;
  warn: string;
}

/** Verdicts so far of one budget (budget undefined: requests no enforced budget covers). */
interface VerdictCounts {
  budget: Budget | undefined;
  n: Record<DecisionKind, number>;
}

/**
 * The enforced budgets by what they cover: global ones, and per scope a map from subject to budgets, so a
 * decision looks up the few budgets of its subject instead of testing every configured budget.
 */
interface BudgetIndex {
  global: EnforcedBudget[];
  byScope: { scope: Exclude<BudgetScope, 'global'>; bySubject: Map<string, EnforcedBudget[]> }[];
  /** The covering sets met so far (coveringBudgets), found again without building them per request. */
  coverings: CoveringNode;
  coveringCount: number;
}

/**
 * The budgets that cover a request, in config order, and their keys: what a reservation holds. One object per
 * combination of budgets met, shared by every request of that combination (read only).
 */
interface Covering {
  budgets: readonly EnforcedBudget[];
  keys: readonly string[];
}

/** A trie over the per-scope budget lists a request's subject finds, in scope order, to its Covering. */
interface CoveringNode {
  covering?: Covering;
  next?: Map<readonly EnforcedBudget[], CoveringNode>;
}

/**
 * Covering sets remembered at most (one per combination of subjects with budgets seen, e.g. user × team); beyond
 * it the trie starts again empty. Emptied on every reload, when the index is rebuilt.
 */
const MAX_REMEMBERED_COVERINGS = 65_536;

/**
 * Estimated costs remembered per model, tier and output tokens (a model's input tokens are its estimate's):
 * pricing the same request shape again gives the same figure. Emptied on every periodic refresh (a price that
 * changes in effect at a date is taken within REFRESH_INTERVAL_MS) and when the pricer is replaced (a reload);
 * bounded, emptied when full. Maps within maps: a request's shape is looked up without making a key of it.
 */
const MAX_REMEMBERED_ESTIMATES = 4096;

/** Estimates by model, then tier ('' for none), then output tokens. */
type EstimateCache = Map<string, Map<string, Map<number, bigint>>>;

/** One covering budget's verdict on one request. */
interface Verdict {
  budget: EnforcedBudget;
  kind: DecisionKind;
  /** Limit less spend and reservations, this request's included when it is let through; never below 0. */
  remainingPusd: bigint;
  spentPusd: bigint;
  periodEndMs: number;
}

const SEVERITY: Record<DecisionKind, number> = { allow: 0, warn: 1, block: 2 };
const DECISION_KINDS = Object.keys(SEVERITY) as DecisionKind[];

const emptyIndex = (): BudgetIndex => ({ global: [], byScope: [], coverings: {}, coveringCount: 0 });

function indexBudgets(budgets: readonly Budget[], counts: (key: string, b: Budget) => VerdictCounts): BudgetIndex {
  const index = emptyIndex();
  budgets.forEach((budget, i) => {
    const key = budgetKey(budget);
    const graceScale = 10n ** BigInt(budget.grace.scale);
    const enforced: EnforcedBudget = {
      budget,
      key,
      limitText: formatPicoUsd(budget.limitPusd),
      graceScale,
      graceBound: budget.limitPusd * (graceScale + budget.grace.units),
      index: i,
      counts: counts(key, budget),
      words: undefined,
    };
    if (budget.scope === 'global') {
      index.global.push(enforced);
      return;
    }
    let scoped = index.byScope.find((s) => s.scope === budget.scope);
    if (!scoped) index.byScope.push((scoped = { scope: budget.scope, bySubject: new Map() }));
    const list = scoped.bySubject.get(budget.subject);
    if (list) list.push(enforced);
    else scoped.bySubject.set(budget.subject, [enforced]);
  });
  return index;
}

/** The enforced budgets that cover a request of this subject, in config order, built anew. */
function buildCovering(index: BudgetIndex, subject: Subject): Covering {
  let budgets: readonly EnforcedBudget[] = index.global;
  for (const { scope, bySubject } of index.byScope) {
    const value = subject[scope];
    const found = value === undefined ? undefined : bySubject.get(value);
    if (found) budgets = budgets.length ? [...budgets, ...found].sort((a, b) => a.index - b.index) : found;
  }
  return { budgets, keys: budgets.map((b) => b.key) };
}

/**
 * The enforced budgets that cover a request of this subject: looked up through the trie of the per-scope lists
 * its subject finds (no allocation once the combination was met), built the first time.
 */
function coveringBudgets(index: BudgetIndex, subject: Subject): Covering {
  let node = index.coverings;
  for (let i = 0; i < index.byScope.length; i++) {
    const { scope, bySubject } = index.byScope[i]!;
    const value = subject[scope];
    const found = value === undefined ? undefined : bySubject.get(value);
    if (!found) continue;
    let next = node.next?.get(found);
    if (!next) {
      if (index.coveringCount >= MAX_REMEMBERED_COVERINGS) {
        index.coverings = {};
        index.coveringCount = 0;
        return coveringBudgets(index, subject);
      }
      (node.next ??= new Map()).set(found, (next = {}));
      index.coveringCount++;
    }
    node = next;
  }
  return (node.covering ??= buildCovering(index, subject));
}

const secondsUntil = (endMs: number, nowMs: number): string => String(Math.max(0, Math.ceil((endMs - nowMs) / 1000)));

/**
 * The decision behind every enforcement door (docs/enforcement.md). Decides from memory: each enforced
 * budget's spend as last read from the ledger (after every commit and every REFRESH_INTERVAL_MS, one query for
 * all budgets, never per request) plus the open reservations of allowed requests. A request is blocked only
 * when spend + reservations + its own estimate would pass limit × (1 + grace) of a blocking budget; it warns
 * beyond the limit. Of every budget that covers the request, the strictest answer wins.
 */
export class BudgetEnforcer implements Decider {
  private budgets: Budget[] = [];
  private index: BudgetIndex = emptyIndex();
  private timeZone = 'UTC';
  private settings!: EnforcementSettings;
  private snapshot: SpendSnapshot | undefined;
  private unreachableSinceMs: number | undefined;
  /** Commits seen (onCommitted): a refresh that starts after commit n has n's rows in the spend it reads. */
  private commitSequence = 0;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private expiring: NodeJS.Immediate | undefined;
  private readonly now: () => number;
  readonly reservations = new Reservations();
  /**
   * Verdicts so far by budget key: a request counts once for every enforced budget that covers it, with that
   * budget's own verdict (its answer is the strictest of them); under '' (empty labels) when none covers it.
   */
  private readonly decided = new Map<string, VerdictCounts>();
  private readonly uncovered = this.verdictCounts('', undefined);
  private estimates: EstimateCache = new Map();
  private estimateCount = 0;
  private estimatesPricer: Pricer | undefined;

  constructor(
    private readonly deps: EnforcerDeps,
    budgets: readonly Budget[],
    timeZone: string,
    settings: EnforcementSettings
  ) {
    this.now = deps.now ?? Date.now;
    this.configure(budgets, timeZone, settings);
  }

  /** Takes a (re)loaded config's budgets and settings; spend is read again at once. Reservations stay. */
  configure(budgets: readonly Budget[], timeZone: string, settings: EnforcementSettings): void {
    this.budgets = budgets.filter((b) => b.enforce !== 'off' && b.limitPusd > 0n);
    this.index = indexBudgets(this.budgets, (key, b) => this.verdictCounts(key, b));
    this.timeZone = timeZone;
    this.settings = settings;
    void this.refresh();
  }

  /** Reads spend every REFRESH_INTERVAL_MS and expires reservations, until stop(). */
  start(): void {
    this.timer = setInterval(() => {
      this.forgetEstimates();
      this.expireReservations();
      void this.refresh();
    }, REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearImmediate(this.expiring);
    await this.refreshing;
  }

  /** Drops the reservations whose TTL ran out, EXPIRY_STEP at a time, each step a turn of the event loop of its own. */
  private expireReservations(): void {
    this.expiring = undefined;
    if (this.reservations.expire(this.now(), EXPIRY_STEP) < EXPIRY_STEP) return;
    this.expiring = setImmediate(() => this.expireReservations());
    this.expiring.unref();
  }

  /** The pipeline committed these request ids' records: their reservations end once the spend includes them. */
  onCommitted(requestIds: readonly string[]): void {
    const sequence = ++this.commitSequence;
    this.reservations.settle(requestIds, sequence);
    void this.refresh();
  }

  /** Reads every enforced budget's spend; calls that arrive meanwhile coalesce into one more read after it. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.readSpend();
      } while (this.refreshAgain);
      this.refreshing = undefined;
    })();
    return this.refreshing;
  }

  private async readSpend(): Promise<void> {
    const sequence = this.commitSequence;
    const budgets = this.budgets;
    const atMs = this.now();
    try {
      const statuses = await evaluateBudgets(this.deps.ledger, budgets, atMs, this.timeZone);
      this.snapshot = { atMs, statuses: new Map(statuses.map((s) => [budgetKey(s.budget), s])) };
      this.reservations.dropSettled(sequence);
      if (this.unreachableSinceMs !== undefined) this.deps.log.info('enforcement: the ledger answers again');
      this.unreachableSinceMs = undefined;
    } catch (e) {
      if (!(e instanceof LedgerUnavailableError)) {
        this.deps.log.error(`enforcement: reading budget spend failed: ${(e as Error).message}`);
        return;
      }
      if (this.unreachableSinceMs === undefined)
        this.deps.log.warn(`enforcement: ${e.message}; budgets' fail policies apply while it lasts`);
      this.unreachableSinceMs ??= atMs;
    }
  }

  /** Why the spend in memory cannot be decided on, or undefined when it can. */
  private staleness(nowMs: number): string | undefined {
    if (this.unreachableSinceMs !== undefined)
      return `the ledger cannot be reached since ${new Date(this.unreachableSinceMs).toISOString()}`;
    if (!this.snapshot) return 'budget spend has not been read from the ledger yet';
    const ageMs = nowMs - this.snapshot.atMs;
    if (ageMs > this.settings.staleAfterMs)
      return `budget spend was last read ${(ageMs / 1000).toFixed(1)} s ago (stale_after ${this.settings.staleAfterMs / 1000} s)`;
    return undefined;
  }

  /** The estimated provider cost of the request: its model's token estimate, output capped by max_tokens. */
  estimatePusd(subject: Subject, body: unknown, nowMs: number): bigint {
    if (subject.model === undefined) return 0n;
    const estimate = this.settings.estimates.get(subject.model) ?? this.settings.defaultEstimate;
    const output = maxOutputTokens(body) ?? estimate.outputTokens;
    const pricer = this.deps.pricer();
    if (pricer !== this.estimatesPricer || this.estimateCount >= MAX_REMEMBERED_ESTIMATES) {
      this.forgetEstimates();
      this.estimatesPricer = pricer;
    }
    let byTier = this.estimates.get(subject.model);
    if (!byTier) this.estimates.set(subject.model, (byTier = new Map<string, Map<number, bigint>>()));
    const tier = subject.tier ?? '';
    let byOutput = byTier.get(tier);
    if (!byOutput) byTier.set(tier, (byOutput = new Map<number, bigint>()));
    let pusd = byOutput.get(output);
    if (pusd === undefined) {
      byOutput.set(output, (pusd = this.priceEstimate(pricer, subject, estimate.inputTokens, output, nowMs)));
      this.estimateCount++;
    }
    return pusd;
  }

  private forgetEstimates(): void {
    this.estimates = new Map();
    this.estimateCount = 0;
  }

  private priceEstimate(pricer: Pricer, subject: Subject, input: number, output: number, nowMs: number): bigint {
    const tokens = { ...NO_TOKENS, inputUncached: input, output };
    try {
      const price = pricer.price({
        ...DEFAULT_PRICING_EXTRAS,
        model: subject.model!,
        provider: undefined,
        tier: subject.tier,
        startMs: nowMs,
        tokens,
      });
      return price?.costPusd ?? 0n;
    } catch (e) {
      // More than the ledger holds for one request: as much as it holds, which no budget lets through.
      if (e instanceof FieldError) return RECORD_BOUNDS.maxPusd;
      throw e;
    }
  }

  async check(request: CheckRequest): Promise<Decision> {
    const nowMs = this.now();
    const subject = resolveSubject(request, this.deps.identities());
    const covering = coveringBudgets(this.index, subject);
    if (!covering.budgets.length) {
      this.uncovered.n.allow++;
      return { kind: 'allow', status: 200, headers: {}, reason: 'no enforced budget covers the request' };
    }
    // A budget configured since the last read (a reload) has no spend yet: the read under way brings it.
    if (this.snapshot && !this.snapshotCovers(this.snapshot, covering)) await this.refreshing;
    const estimate = this.estimatePusd(subject, request.body, nowMs);
    const stale = this.staleness(nowMs);
    if (stale !== undefined) return this.failPolicy(stale, covering, request, estimate, nowMs);

    // A request checked again (a retry) replaces its reservation: judged as if it held none, not as two requests.
    const held = request.requestId === undefined ? undefined : this.reservations.heldBy(request.requestId);
    let decisive: Verdict | undefined;
    for (const b of covering.budgets) {
      const v = this.verdict(b, estimate, nowMs, held);
      b.counts.n[v.kind]++;
      if (
        !decisive ||
        SEVERITY[v.kind] > SEVERITY[decisive.kind] ||
        (v.kind === decisive.kind && v.remainingPusd < decisive.remainingPusd)
      )
        decisive = v;
    }
    return this.answer(decisive!, covering, request, estimate, nowMs);
  }

  private snapshotCovers(snapshot: SpendSnapshot, covering: Covering): boolean {
    for (const key of covering.keys) if (!snapshot.statuses.has(key)) return false;
    return true;
  }

  /** The decisive verdict as the decision's answer; an allowed request's reservation opened. */
  private answer(
    decisive: Verdict,
    covering: Covering,
    request: CheckRequest,
    estimate: bigint,
    nowMs: number
  ): Decision {
    if (decisive.kind !== 'block') this.reserve(request, estimate, covering, nowMs);
    const { key, limitText, budget } = decisive.budget;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': limitText,
      'x-ratelimit-remaining': formatPicoUsd(decisive.remainingPusd),
      'x-ratelimit-reset': secondsUntil(decisive.periodEndMs, nowMs),
      'x-tokenledger-budget': key,
      'x-tokenledger-decision': decisive.kind,
    };
    const words = spendWords(decisive.budget, decisive.spentPusd);
    if (decisive.kind === 'block') {
      headers['retry-after'] = secondsUntil(decisive.periodEndMs, nowMs);
      return {
        kind: 'block',
        status: 429,
        headers,
        reason: `budget ${key} is exhausted (${words.spent}, grace ${formatGrace(budget)}); this request is estimated at ${formatPicoUsd(estimate)} USD`,
      };
    }
    if (decisive.kind === 'warn') {
      headers['x-tokenledger-warning'] = words.warn;
      return { kind: 'warn', status: 200, headers, reason: words.warn };
    }
    return { kind: 'allow', status: 200, headers, reason: words.allow };
  }

  /** `held`: the request's own open reservation, left out of what is committed on the budgets it is on. */
  private verdict(
    enforced: EnforcedBudget,
    estimate: bigint,
    nowMs: number,
    held: HeldReservation | undefined
  ): Verdict {
    const { budget: b, key } = enforced;
    const status = this.snapshot!.statuses.get(key);
    // A period that ended since the last read starts from nothing; the next read (within seconds) has its spend.
    const current = status !== undefined && status.periodEndMs > nowMs;
    const spentPusd = current ? status.spentPusd : 0n;
    const periodEndMs = current ? status.periodEndMs : nowMs;
    const own = held !== undefined && held.budgets.includes(key) ? held.amountPusd : 0n;
    const committed = spentPusd + this.reservations.reservedPusd(key) - own;
    const projected = committed + estimate;
    const kind: DecisionKind =
      b.enforce === 'block' && projected * enforced.graceScale > enforced.graceBound
        ? 'block'
        : projected > b.limitPusd
          ? 'warn'
          : 'allow';
    const left = b.limitPusd - (kind === 'block' ? committed : projected);
    return { budget: enforced, kind, remainingPusd: left > 0n ? left : 0n, spentPusd, periodEndMs };
  }

  private reserve(request: CheckRequest, estimate: bigint, covering: Covering, nowMs: number): void {
    this.reservations.expire(nowMs, EXPIRED_PER_RESERVATION);
    // Without a request id no usage record can settle it: it lasts its TTL.
    const id = request.requestId ?? `unnamed:${randomUUID()}`;
    this.reservations.reserve(id, estimate, covering.keys, nowMs + this.settings.reservationTtlMs);
  }

  /** Stale or unreachable ledger state: refused when a covering blocking budget fails closed, else allowed. */
  private failPolicy(
    why: string,
    covering: Covering,
    request: CheckRequest,
    estimate: bigint,
    nowMs: number
  ): Decision {
    const failsClosed = ({ budget: b }: EnforcedBudget) => b.enforce === 'block' && b.fail === 'closed';
    for (const b of covering.budgets) b.counts.n[failsClosed(b) ? 'block' : 'allow']++;
    const closed = covering.budgets.find(failsClosed);
    if (closed) {
      const key = closed.key;
      return {
        kind: 'block',
        status: 503,
        headers: {
          'retry-after': String(STALE_RETRY_AFTER_S),
          'x-tokenledger-budget': key,
          'x-tokenledger-decision': 'block',
        },
        reason: `${why}; budget ${key} fails closed`,
      };
    }
    this.reserve(request, estimate, covering, nowMs);
    const reason = `${why}; allowed (fail open)`;
    return {
      kind: 'allow',
      status: 200,
      headers: { 'x-tokenledger-decision': 'allow', 'x-tokenledger-warning': reason },
      reason,
    };
  }

  /** The verdict counters of a budget key, made at its first configure; '' for requests no budget covers. */
  private verdictCounts(key: string, budget: Budget | undefined): VerdictCounts {
    let counts = this.decided.get(key);
    if (!counts) this.decided.set(key, (counts = { budget, n: { allow: 0, warn: 0, block: 0 } }));
    return counts;
  }

  /** tokenledger_enforcement_*: decisions, open reservations, reserved amounts, drift and the state's age. */
  metrics(): SnapshotMetric[] {
    const labels = (b: Budget | undefined) => ({
      scope: b?.scope ?? '',
      subject: b?.subject ?? '',
      period: b?.period ?? '',
    });
    const perBudget = (value: (b: Budget, key: string) => number): Sample[] =>
      this.budgets.map((b) => ({ labels: labels(b), value: value(b, budgetKey(b)) }));
    return [
      new SnapshotMetric(
        'tokenledger_enforcement_decisions_total',
        "Enforcement verdicts (allow, warn, block) of each budget on the requests it covers; a request's answer is the strictest of its budgets' (empty labels: no enforced budget covered it).",
        'counter',
        () =>
          DECISION_KINDS.flatMap((kind) =>
            [...this.decided.values()]
              .filter((e) => e.n[kind] > 0)
              .map((e) => ({ labels: { decision: kind, ...labels(e.budget) }, value: e.n[kind] }))
          )
      ),
      new SnapshotMetric(
        'tokenledger_enforcement_open_reservations',
        'Reservations of allowed requests on a budget whose usage record has not reached the ledger (nor their TTL run out).',
        'gauge',
        () => perBudget((_b, key) => this.reservations.openCount(key))
      ),
      new SnapshotMetric(
        'tokenledger_enforcement_reserved_usd',
        'Estimated cost held by the open reservations on a budget, USD.',
        'gauge',
        () => perBudget((_b, key) => picoToUsdNumber(this.reservations.reservedPusd(key)))
      ),
      new SnapshotMetric(
        'tokenledger_enforcement_drift_usd',
        "Spend the decisions currently believe less the ledger's spend at scrape time, USD (negative: decisions lag the ledger).",
        'gauge',
        async () => {
          const snapshot = this.snapshot;
          if (!snapshot) return [];
          let ledger: BudgetStatus[];
          try {
            ledger = await evaluateBudgets(this.deps.ledger, this.budgets, this.now(), this.timeZone);
          } catch (e) {
            // Without the ledger's answer there is nothing to compare with; the rest of the scrape goes on.
            this.deps.log.warn(`enforcement: drift not measured, the ledger did not answer: ${(e as Error).message}`);
            return [];
          }
          return ledger.map((s) => ({
            labels: labels(s.budget),
            value: picoToUsdNumber((snapshot.statuses.get(budgetKey(s.budget))?.spentPusd ?? 0n) - s.spentPusd),
          }));
        }
      ),
      new SnapshotMetric(
        'tokenledger_enforcement_state_age_seconds',
        'Age of the budget spend decisions are made from (read from the ledger after every commit and every few seconds).',
        'gauge',
        () => (this.snapshot ? [{ labels: {}, value: (this.now() - this.snapshot.atMs) / 1000 }] : [])
      ),
    ];
  }
}

/** The words of an answer on `b` at this spend: made again only when its spend changed since they were made. */
function spendWords(b: EnforcedBudget, spentPusd: bigint): SpendWords {
  if (b.words?.spentPusd === spentPusd) return b.words;
  const spent = `spent ${formatPicoUsd(spentPusd)} of ${b.limitText} USD`;
  return (b.words = {
    spentPusd,
    spent,
    allow: `within budget ${b.key} (${spent})`,
    warn: `budget ${b.key} is over its limit (${spent})`,
  });
}

function formatGrace(b: Budget): string {
  return `${(Number(b.grace.units) / 10 ** b.grace.scale) * 100} %`;
}
