import type { FramedText } from '../../parse/framer';
import type { Mapping } from '../../parse/mapping';
import type { GatewayFormat } from '../../types';
import { jsonRecords } from './jsonRecords';

/** What a push route needs of the request besides its (decompressed) body. */
export interface PushRequest {
  contentType: string | undefined;
}

/** A body decoded: texts of one format, each a record for the parser, as a file's lines are. */
export interface DecodedPush {
  /** The format the texts are in; 'auto' lets the parser detect it per text (as a source with format: auto). */
  format: GatewayFormat | 'auto';
  texts: FramedText[];
}

/**
 * One push endpoint: how its bodies become texts. Everything after decoding is the same for every route
 * (service/pushIngest.ts): the limits, gzip, auth, the idempotency key, the source, one commit, the answer.
 * An OTLP route is one of these too: it decodes an export request into the texts of its log records.
 */
export interface PushRoute {
  /** The HTTP path (POST). */
  path: string;
  /** The endpoint's name in the metrics' `endpoint` label: one per route, so the label stays bounded. */
  endpoint: string;
  /**
   * The source a push is counted and deduplicated under when it names none (`?source=`): its records' lines
   * read, rejects and skipped lines are this source's.
   */
  defaultSource: string;
  /**
   * Field maps the route's texts are read with when a push names no source, beside the built-in presets: a
   * route whose texts have a shape of its own brings its `generic` mapping. Without one, `generic` texts need
   * a push that names a configured source with a mapping.
   */
  mappings?: Partial<Record<GatewayFormat, Mapping>>;
  /** The texts of `body`; throws PushRequestError when the body is not what the route takes. */
  decode(body: Buffer, request: PushRequest, limits: { maxRecordBytes: number }): DecodedPush;
}

/** The formats the file sources read, each pushed as JSON to /ingest/v1/<format>. */
export const PUSH_FORMATS: readonly GatewayFormat[] = ['litellm', 'kong', 'envoy', 'generic'];

/**
 * `POST /ingest/v1/<format>`: records as a JSON array or one per line (see jsonRecords); /ingest/v1/litellm is
 * what LiteLLM's `generic_api` callback sends, /ingest/v1/kong what Kong's `http-log` plugin sends.
 */
export function formatRoute(format: GatewayFormat): PushRoute {
  return {
    path: `/ingest/v1/${format}`,
    endpoint: format,
    defaultSource: `push:${format}`,
    decode: (body, _request, { maxRecordBytes }) => ({ format, texts: jsonRecords(body, maxRecordBytes) }),
  };
}
