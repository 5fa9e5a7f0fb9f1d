import { basename, dirname } from 'node:path';
import type { FormatOption, SourceConfig } from '../config/config';
import type { ContainerMode } from '../parse/containerLog';
import { sourceContext, SourceContext } from '../pipeline/sourceContext';
import { expandPattern } from '../sources/glob';

/** Name of the one source every `tokenledger ingest` run reads as: read positions, reject entries and the lines counter use it. */
export const INGEST_SOURCE = 'ingest';

/**
 * Which parsing options each file of an ingest run is read with. A file that a configured source's paths
 * match (`--config`) is read with that source's format, field mappings and key namespace, as `serve` reads
 * it, so both store the same records under the same idempotency keys; `--format`, when given, replaces the
 * format. Any other file (and stdin, unless the config has a stdin source) is read with `--format` or auto.
 */
export class IngestSources {
  private readonly byPath = new Map<string, SourceContext>();
  private readonly containers = new Map<string, ContainerMode>();
  private readonly fallback: SourceContext;
  readonly stdin: SourceContext;

  constructor(files: readonly string[], configured: readonly SourceConfig[], format: FormatOption | undefined) {
    this.fallback = sourceContext({
      name: INGEST_SOURCE,
      paths: [],
      stdin: false,
      format: format ?? 'auto',
      mappings: {},
      keyNamespace: undefined,
      startAt: 'beginning',
      maxFiles: Infinity, // ingest reads every file it is given
      otherLines: 'reject',
      container: 'auto',
      prometheus: undefined,
    });
    const wanted = new Set(files);
    let stdin: SourceContext | undefined;
    for (const s of configured) {
      // One context per configured source: the parse worker keeps one parser per context.
      const context = sourceContext({ ...s, name: INGEST_SOURCE, format: format ?? s.format });
      if (s.stdin) stdin ??= context;
      for (const pattern of s.paths) {
        for (const path of expandPattern(pattern))
          if (wanted.has(path) && !this.byPath.has(path)) {
            this.byPath.set(path, context);
            this.containers.set(path, s.container);
          }
      }
    }
    this.stdin = stdin ?? this.fallback;
  }

  /** The container log wrapper of one of the run's files: its source's, or decided from its first line. */
  containerFor(path: string): ContainerMode {
    return this.containers.get(path) ?? 'auto';
  }

  /**
   * The options for a file the follower read: one of the run's files, or a rotated copy beside one (its name
   * starts with the original's, e.g. app.log.1 for app.log), which is read as the original.
   */
  contextFor(path: string): SourceContext {
    const exact = this.byPath.get(path);
    if (exact) return exact;
    let best: { length: number; context: SourceContext } | undefined;
    for (const [original, context] of this.byPath) {
      if (
        dirname(original) === dirname(path) &&
        basename(path).startsWith(basename(original)) &&
        original.length > (best?.length ?? 0)
      )
        best = { length: original.length, context };
    }
    return best?.context ?? this.fallback;
  }
}
