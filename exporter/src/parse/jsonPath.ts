/**
 * JSON paths for gateway fields. `a.b.c` walks nested objects, but at every level a key that itself
 * contains dots wins when it exists literally (Envoy writes `"gen_ai.usage.input_tokens": 15` as one flat
 * key, Kong writes `{"ai":{"proxy":...}}` nested). `a["x.y"].b` forces a literal segment.
 */

/**
 * The keys to try at each step of a segment, longest literal first, computed when the path is compiled so
 * a lookup on the hot path allocates nothing: for parts [a, b, c] at step 0 they are "a.b.c", "a.b", "a".
 */
interface Step {
  keys: readonly string[];
}

/** A compiled path. */
export interface JsonPath {
  /** Each segment is a run of dot-separated parts that may be joined into one literal key. */
  readonly segments: readonly (readonly string[])[];
  /** The steps of each segment. */
  readonly steps: readonly (readonly Step[])[];
}

function stepsOf(parts: readonly string[]): Step[] {
  return parts.map((_, from) => ({
    keys: parts.slice(from).map((__, i, rest) => rest.slice(0, rest.length - i).join('.')),
  }));
}

export function compilePath(path: string): JsonPath {
  const segments: string[][] = [];
  let run: string[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '[') {
      const close = path.indexOf(']', i);
      const inner = close > i ? path.slice(i + 1, close).trim() : '';
      const quoted = /^"(.*)"$|^'(.*)'$/.exec(inner);
      if (!quoted) throw new Error(`bad JSON path ${JSON.stringify(path)}: expected ["literal.key"] at ${i}`);
      if (run.length) segments.push(run);
      segments.push([quoted[1] ?? quoted[2] ?? '']);
      run = [];
      i = close + 1;
      if (path[i] === '.') i++;
      continue;
    }
    let end = i;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    if (end === i) throw new Error(`bad JSON path ${JSON.stringify(path)}: empty segment at ${i}`);
    run.push(path.slice(i, end));
    i = path[end] === '.' ? end + 1 : end;
  }
  if (run.length) segments.push(run);
  if (!segments.length) throw new Error('empty JSON path');
  return { segments, steps: segments.map(stepsOf) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks the steps from `from`, preferring the longest literal dotted key at each level. */
function walk(node: unknown, steps: readonly Step[], from: number): unknown {
  if (from === steps.length) return node;
  if (!isObject(node)) return undefined;
  const keys = steps[from]!.keys;
  for (let i = 0; i < keys.length; i++) {
    const value = node[keys[i]!];
    if (value === undefined || !Object.prototype.hasOwnProperty.call(node, keys[i]!)) continue;
    const found = walk(value, steps, from + keys.length - i);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function getPath(root: unknown, path: JsonPath): unknown {
  let node = root;
  for (const steps of path.steps) {
    node = walk(node, steps, 0);
    if (node === undefined) return undefined;
  }
  return node;
}

/** Renders a compiled path for error messages. */
export function formatPath(path: JsonPath): string {
  return path.segments
    .map((seg) => (seg.length === 1 && seg[0]!.includes('.') ? `["${seg[0]}"]` : seg.join('.')))
    .join('.');
}
