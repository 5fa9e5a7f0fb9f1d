/**
 * Reads a Dockerfile and a .dockerignore the way `docker build` does, as far as the deploy tests need: no Docker
 * engine runs in CI, so the tests check the image's recipe instead of building it.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** 1-based line of the keyword in the file. */
  line: number;
}

export interface Stage {
  /** The image, with the global ARGs' defaults substituted. */
  image: string;
  /** `AS name`, if any. */
  name?: string;
  /** `--platform=...` of FROM, if any (unsubstituted: `$BUILDPLATFORM` is set by the builder). */
  platform?: string;
  instructions: Instruction[];
}

export interface Copy {
  from?: string;
  sources: string[];
  destination: string;
  line: number;
}

/** The instructions of a Dockerfile: comments and parser directives dropped, `\` continuation lines joined. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) continue;
    const continued = trimmed.endsWith('\\');
    const piece = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending ? { text: `${pending.text} ${piece}`, line: pending.line } : { text: piece, line: i + 1 };
    if (continued) continue;
    const m = /^(\S+)\s*(.*)$/.exec(pending.text)!;
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: pending.line });
    pending = undefined;
  }
  if (pending) throw new Error(`line ${pending.line}: a continuation line ends the file`);
  return out;
}

/** The build stages, each FROM's image with the global ARGs (those before the first FROM) substituted. */
export function stages(text: string): Stage[] {
  const args: Record<string, string> = {};
  const out: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/);
      const platform = words[0]!.startsWith('--platform=') ? words.shift()!.slice('--platform='.length) : undefined;
      const image = words[0]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a?: string, b?: string) => {
        const value = args[(a ?? b)!];
        if (value === undefined) throw new Error(`line ${ins.line}: ${whole} is no global ARG with a default`);
        return value;
      });
      const name = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
      out.push({ image, ...(name ? { name } : {}), ...(platform ? { platform } : {}), instructions: [] });
    } else if (out.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      const [key, value] = ins.args.split('=', 2);
      if (value !== undefined) args[key!] = value;
    } else {
      out[out.length - 1]!.instructions.push(ins);
    }
  }
  return out;
}

/** An exec-form (JSON array) argument list, as CMD, ENTRYPOINT and HEALTHCHECK CMD take it. */
export function execForm(args: string): string[] {
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`not an exec-form list of strings: ${args}`);
  return parsed;
}

/** A COPY instruction's flags, sources and destination. */
export function copyOf(ins: Instruction): Copy {
  const words = ins.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return {
    ...(from ? { from } : {}),
    sources: paths.slice(0, -1),
    destination: paths[paths.length - 1]!,
    line: ins.line,
  };
}

/** A .dockerignore pattern as a regular expression over a slash-separated path (Go's filepath.Match, plus `**`). */
function patternRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of directories, a trailing `**` anything
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Whether `docker build` leaves a file (a path relative to the context) out of the context: the last pattern
 * that matches the path or one of its parent directories decides, `!` letting it back in.
 */
export function dockerIgnores(dockerignore: string): (path: string) => boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const exclude = !l.startsWith('!');
      const pattern = (exclude ? l : l.slice(1)).replace(/^\/+|\/+$/g, '');
      return { exclude, re: patternRegExp(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = rule.exclude;
    return excluded;
  };
}
