import type { FramedText } from '../framer';
import type { OtlpRefusal } from './items';
import { OtlpDecodeError } from './objectForm';
import { exportTexts } from './otlpExport';
import { encodingOf, OtlpSignal } from './request';
import { exportAnswer, failureAnswer, OtlpAnswer, partialSuccessOf } from './response';

/**
 * An OTLP/HTTP export as a push (POST /v1/logs, /v1/traces): its records as numbered texts for the pipeline, and
 * its answers in OTLP. The push endpoint (sources/push/otlpRoute.ts) adds nothing but the HTTP plumbing.
 */

/** An export refused before anything of it is parsed: 415 for another Content-Type, 400 for a body that is not one. */
export class OtlpRequestError extends Error {
  constructor(
    readonly status: 400 | 415,
    message: string
  ) {
    super(message);
  }
}

/** What the answer to a committed push needs of it: the refused count, and the first refusals by line. */
export interface CommittedRefusals {
  refused: number;
  refusals: readonly { line: number; reason: string; message: string }[];
}

export interface OtlpPush {
  /** `auto` for log records (any of our formats), `otel` for GenAI spans. */
  format: 'auto' | 'otel';
  /** One per log record or GenAI span, `line` its number in the request (from 1). */
  texts: FramedText[];
  /** Spans without GenAI usage. */
  skipped: number;
  /** The OTLP answer once the push is committed. */
  answer(committed: CommittedRefusals): OtlpAnswer;
}

/**
 * A decompressed export body as texts. A decoded record has no byte offset of its own: its index in the request
 * stands for one, unique within the push as the ledger's rejects need (one row per source, push and offset). A
 * text longer than `maxRecordBytes` is refused whole, as an overlong line is.
 */
export function otlpPush(
  signal: OtlpSignal,
  contentType: string | undefined,
  body: Uint8Array,
  maxRecordBytes: number
): OtlpPush {
  const encoding = encodingOf(contentType);
  if (!encoding)
    throw new OtlpRequestError(
      415,
      `Content-Type ${contentType ?? '(none)'}: expected application/x-protobuf or application/json (OTLP/HTTP)`
    );
  let items;
  try {
    items = exportTexts(signal, encoding, body);
  } catch (e) {
    if (e instanceof OtlpDecodeError) throw new OtlpRequestError(400, e.message);
    throw e;
  }
  const places = items.texts.map((t) => t.where);
  return {
    format: signal === 'logs' ? 'auto' : 'otel',
    texts: items.texts.map(({ text }, i) => {
      const at = { line: i + 1, startOffset: i, endOffset: i + 1 };
      return Buffer.byteLength(text, 'utf8') > maxRecordBytes
        ? { ...at, text: '', tooLong: true }
        : { ...at, text, tooLong: false };
    }),
    skipped: items.skipped,
    answer: ({ refused, refusals }) => {
      const named: OtlpRefusal[] = refusals.map((r) => ({
        where: places[r.line - 1] ?? `record ${r.line}`,
        reason: r.reason,
        message: r.message,
      }));
      return exportAnswer(signal, encoding, partialSuccessOf(signal, refused, named));
    },
  };
}

/** A refusal or failure of an export, answered in its encoding (protobuf when it named none we read). */
export function otlpFailure(
  contentType: string | undefined,
  status: number,
  message: string,
  retryAfterSeconds?: number
): OtlpAnswer {
  return failureAnswer(status, encodingOf(contentType) ?? 'protobuf', message, retryAfterSeconds);
}
