import type { UsageRecord } from '../types';

/**
 * Who owns what, for logs that do not say: API key (hash, credential id or alias) or user -> owner, team,
 * tier. What the log says always wins; the map only fills gaps, then the default tier applies.
 */
export interface Identity {
  apiKey?: string;
  user?: string;
  /** The user an API key belongs to. */
  owner?: string;
  team?: string;
  tier?: string;
}

export class IdentityMap {
  private readonly byKey = new Map<string, Identity>();
  private readonly byUser = new Map<string, Identity>();

  /** The arguments are kept (read-only) so that a parse worker can build the same map. */
  constructor(
    readonly identities: readonly Identity[],
    readonly defaultTier: string | undefined
  ) {
    for (const id of identities) {
      if (id.apiKey !== undefined) this.byKey.set(id.apiKey, id);
      if (id.user !== undefined) this.byUser.set(id.user, id);
    }
  }

  /** Fills missing user, team and tier in place (of a log record, or of a request being checked). */
  apply(r: Pick<UsageRecord, 'user' | 'apiKeyId' | 'apiKeyAlias' | 'team' | 'tier'>): void {
    if (this.byKey.size) {
      const k =
        (r.apiKeyId !== undefined ? this.byKey.get(r.apiKeyId) : undefined) ??
        (r.apiKeyAlias !== undefined ? this.byKey.get(r.apiKeyAlias) : undefined);
      if (k) {
        r.user ??= k.owner;
        r.team ??= k.team;
        r.tier ??= k.tier;
      }
    }
    if (this.byUser.size && r.user !== undefined) {
      const u = this.byUser.get(r.user);
      if (u) {
        r.team ??= u.team;
        r.tier ??= u.tier;
      }
    }
    r.tier ??= this.defaultTier;
  }
}
