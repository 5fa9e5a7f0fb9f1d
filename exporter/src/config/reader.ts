/**
 * Reads a YAML config tree with errors that name the file, the key and what was expected, e.g.
 * `tokenledger.yaml: sources[0].format: expected one of auto, litellm, kong, envoy, generic, got "kongg"`.
 * Unknown keys are errors too, so a typo never silently falls back to a default; they list the keys allowed
 * there and suggest the closest one: `listn: unknown key; did you mean listen? (expected one of ...)`.
 */
export class ConfigError extends Error {}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The allowed key that `key` is most likely a typo of: at most 2 edits away (1 for keys of up to 5 letters), ignoring case. */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    const max = Math.max(key.length, candidate.length) <= 5 ? 1 : 2;
    if (distance <= max && distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** `unknown key; did you mean X? (expected one of ...)`, or `unknown key; expected one of ...` when nothing is close. */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  if (!allowed.length) return 'unknown key; nothing is expected here';
  const list = `expected one of ${[...allowed].sort().join(', ')}`;
  const near = closestKey(key, allowed);
  return near === undefined ? `unknown key; ${list}` : `unknown key; did you mean ${near}? (${list})`;
}

export class ConfigReader {
  /** Keys whose values were read. */
  private readonly used = new Set<string>();
  /** Keys this place knows about: read, or asked about with has(). */
  private readonly known = new Set<string>();

  constructor(
    readonly file: string,
    readonly where: string,
    private readonly obj: Record<string, unknown>
  ) {}

  static root(file: string, doc: unknown): ConfigReader {
    if (doc === null || doc === undefined) return new ConfigReader(file, '', {});
    if (typeof doc !== 'object' || Array.isArray(doc))
      throw new ConfigError(`${file}: expected a mapping at the top level`);
    return new ConfigReader(file, '', doc as Record<string, unknown>);
  }

  private path(key: string): string {
    return this.where ? `${this.where}.${key}` : key;
  }

  fail(key: string, expected: string, got: unknown): never {
    // A required key that is missing may be there under a misspelt name, which would otherwise only be reported later.
    const typo =
      got === undefined
        ? Object.keys(this.obj).find((k) => !this.used.has(k) && k !== key && closestKey(k, [key]) !== undefined)
        : undefined;
    const hint = typo === undefined ? '' : ` (is ${JSON.stringify(typo)} a typo of ${key}?)`;
    throw new ConfigError(`${this.file}: ${this.path(key)}: expected ${expected}, got ${JSON.stringify(got)}${hint}`);
  }

  has(key: string): boolean {
    this.known.add(key);
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    this.used.add(key);
    this.known.add(key);
    return this.obj[key];
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v === '') this.fail(key, 'a non-empty string', v);
    return v;
  }

  requiredString(key: string): string {
    return this.string(key) ?? this.fail(key, 'a non-empty string', undefined);
  }

  oneOf<T extends string>(key: string, options: readonly T[], fallback: T): T {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !options.includes(v as T)) this.fail(key, `one of ${options.join(', ')}`, v);
    return v as T;
  }

  integer(key: string, fallback: number, min = 0): number {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(key, `an integer >= ${min}`, v);
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false', v);
    return v;
  }

  /** A string or a list of strings. */
  stringList(key: string): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    const list = Array.isArray(v) ? v : [v];
    list.forEach((item, i) => {
      if (typeof item !== 'string' || item === '') this.fail(`${key}[${i}]`, 'a non-empty string', item);
    });
    return list as string[];
  }

  child(key: string): ConfigReader | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'a mapping', v);
    return new ConfigReader(this.file, this.path(key), v as Record<string, unknown>);
  }

  children(key: string): ConfigReader[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(key, 'a list', v);
    return v.map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        this.fail(`${key}[${i}]`, 'a mapping', item);
      return new ConfigReader(this.file, this.path(`${key}[${i}]`), item as Record<string, unknown>);
    });
  }

  keys(): string[] {
    return Object.keys(this.obj);
  }

  /** Rejects `key` as unknown here, listing `allowed` (by default every key this place has asked about). */
  unknownKey(key: string, allowed: readonly string[] = [...this.known]): never {
    throw new ConfigError(`${this.file}: ${this.path(key)}: ${unknownKeyMessage(key, allowed)}`);
  }

  /** Call when done reading: any key not read is a mistake. */
  done(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.used.has(k)) this.unknownKey(k);
    }
  }
}
