/**
 * Reads a YAML config tree with errors that name the file, the key and what was expected, e.g.
 * `tokenledger.yaml: sources[0].format: expected one of auto, litellm, kong, envoy, generic, got "kongg"`.
 * Unknown keys are errors too, so a typo never silently falls back to a default.
 */
export class ConfigError extends Error {}

export class ConfigReader {
  private readonly used = new Set<string>();

  constructor(
    readonly file: string,
    readonly where: string,
    private readonly obj: Record<string, unknown>,
  ) {}

  static root(file: string, doc: unknown): ConfigReader {
    if (doc === null || doc === undefined) return new ConfigReader(file, '', {});
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: expected a mapping at the top level`);
    return new ConfigReader(file, '', doc as Record<string, unknown>);
  }

  private path(key: string): string {
    return this.where ? `${this.where}.${key}` : key;
  }

  fail(key: string, expected: string, got: unknown): never {
    throw new ConfigError(`${this.file}: ${this.path(key)}: expected ${expected}, got ${JSON.stringify(got)}`);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    this.used.add(key);
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
      if (typeof item !== 'object' || item === null || Array.isArray(item)) this.fail(`${key}[${i}]`, 'a mapping', item);
      return new ConfigReader(this.file, this.path(`${key}[${i}]`), item as Record<string, unknown>);
    });
  }

  keys(): string[] {
    return Object.keys(this.obj);
  }

  /** Call when done reading: any key not asked for is a mistake. */
  done(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.used.has(k)) throw new ConfigError(`${this.file}: ${this.path(k)}: unknown key`);
    }
  }
}
