/** A piece of the exposition as bytes, and once a gzip scrape asked for it, as a gzip member. */
export interface ExpositionPart {
  readonly text: Buffer;
  gzipped?: Promise<Buffer>;
}

/**
 * Series per chunk. A chunk's text is rendered again, whole, when one of its values changed; small enough
 * that rendering one takes well under a millisecond (a render yields the event loop between chunks), large
 * enough that a scrape sends a few hundred parts, not thousands.
 */
export const CHUNK_SERIES = 512;

interface Chunk {
  /** Its series' sample lines up to their values (`name{labels} `), UTF-8, one after the other. */
  prefixes: Buffer;
  /** Where each series' prefix ends in `prefixes`. */
  prefixEnds: number[];
  /**
   * Prefixes of series added since, not encoded yet: encoding is left to the chunk's next render, which runs
   * in slices, rather than done in the commit that created the series (seeding creates all of them at once).
   */
  unencoded: string[];
  /** The change count at this chunk's last change (a new series or value). */
  changedAt: number;
  /** Its text, and the change count of the values it was rendered from. */
  rendered: { at: number; part: ExpositionPart } | undefined;
}

/** What a render of a family's series consists of: the chunks' parts, or jobs that render them. */
export type PendingPart = ExpositionPart | (() => ExpositionPart);

/**
 * The samples of one family, in the order their series were created, with their text kept in chunks: each
 * series' name and labels are escaped and encoded once, and a render only renders the chunks whose values
 * changed since, into one buffer each (little garbage: a render of 100,000 series that built strings caused
 * major GC pauses of tens of ms).
 */
export class SeriesText<V> {
  private readonly values: V[] = [];
  private readonly chunks: Chunk[] = [];
  private changes = 0;

  constructor(private readonly format: (value: V) => string) {}

  get size(): number {
    return this.values.length;
  }

  /** Adds a series (`prefix`: its sample line up to the value) and returns its index. */
  add(prefix: string, value: V): number {
    const i = this.values.length;
    this.values.push(value);
    if (i % CHUNK_SERIES === 0)
      this.chunks.push({ prefixes: Buffer.alloc(0), prefixEnds: [], unencoded: [], changedAt: 0, rendered: undefined });
    this.chunks[this.chunks.length - 1]!.unencoded.push(prefix);
    this.touch(i);
    return i;
  }

  get(i: number): V {
    return this.values[i]!;
  }

  set(i: number, value: V): void {
    this.values[i] = value;
    this.touch(i);
  }

  private touch(i: number): void {
    this.chunks[Math.floor(i / CHUNK_SERIES)]!.changedAt = ++this.changes;
  }

  /**
   * The series' text as of now: the parts of unchanged chunks as they were rendered, and for each changed
   * chunk a job that renders it from a copy of its values taken now, so that the text is of this moment
   * however much changes before the jobs run.
   */
  snapshot(): PendingPart[] {
    const at = this.changes;
    return this.chunks.map((chunk, c) => {
      if (chunk.rendered && chunk.rendered.at >= chunk.changedAt) return chunk.rendered.part;
      const from = c * CHUNK_SERIES;
      const values = this.values.slice(from, from + chunk.prefixEnds.length + chunk.unencoded.length);
      return () => {
        encodePrefixes(chunk, values.length);
        const ends = chunk.prefixEnds;
        const valueTexts = values.map(this.format);
        let size = ends[values.length - 1]!;
        for (const v of valueTexts) size += v.length + 1;
        const text = Buffer.allocUnsafe(size);
        let pos = 0;
        for (let k = 0; k < values.length; k++) {
          pos += chunk.prefixes.copy(text, pos, k ? ends[k - 1]! : 0, ends[k]!);
          // Values are numbers as text: ASCII, one byte a character.
          pos += text.write(valueTexts[k]!, pos, 'latin1');
          text[pos++] = 0x0a;
        }
        const part: ExpositionPart = { text };
        if (!chunk.rendered || chunk.rendered.at < at) chunk.rendered = { at, part };
        return part;
      };
    });
  }
}

/** Encodes the chunk's prefixes not encoded yet, up to its first `series` series. */
function encodePrefixes(chunk: Chunk, series: number): void {
  const texts = chunk.unencoded.splice(0, series - chunk.prefixEnds.length);
  if (!texts.length) return;
  let end = chunk.prefixEnds.length ? chunk.prefixEnds[chunk.prefixEnds.length - 1]! : 0;
  const start = end;
  const ends = texts.map((t) => (end += Buffer.byteLength(t)));
  if (end > chunk.prefixes.length) {
    const grown = Buffer.allocUnsafe(Math.max(end, 2 * chunk.prefixes.length));
    chunk.prefixes.copy(grown, 0, 0, start);
    chunk.prefixes = grown;
  }
  texts.forEach((t, i) => chunk.prefixes.write(t, i ? ends[i - 1]! : start));
  chunk.prefixEnds.push(...ends);
}
