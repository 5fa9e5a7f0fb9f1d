import { isUtf8 } from 'node:buffer';
import { firstInvalidUtf8, FramedText, Framer } from '../../parse/framer';
import { PushRequestError } from './pushErrors';

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The records of a JSON push body, as the texts the parser reads: a JSON array of records (LiteLLM's
 * `generic_api` default `json_array`, Kong `http-log`'s queue of more than one entry), or records one per line
 * (NDJSON, LiteLLM's `log_format: ndjson` with no newline after the last; a single object, as LiteLLM's
 * `single` mode and Kong with one entry per request send), pretty-printed objects included (the file sources'
 * Framer). Each text keeps its line and byte offset in the body, for the rejects. Senders say
 * `Content-Type: application/json` for all of these, so the body's first byte tells them apart.
 *
 * Throws PushRequestError (400) when an array is not well formed: which of its records were meant cannot be
 * told, so none is taken. A record that is not a usage record is the parser's to refuse, like a file's line.
 */
export function jsonRecords(body: Buffer, maxRecordBytes: number): FramedText[] {
  const start = body.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0;
  let i = start;
  while (i < body.length && WHITESPACE.has(body[i]!)) i++;
  if (i === body.length) return [];
  if (body[i] === 0x5b /* [ */) return arrayElements(body, i, maxRecordBytes);
  const framer = new Framer(0, 1, maxRecordBytes);
  const out: FramedText[] = [];
  framer.push(body, out);
  framer.finish(out);
  return out;
}

/** The elements of the array that opens at `open`, each as the text of its bytes (never parsed here). */
function arrayElements(body: Buffer, open: number, maxRecordBytes: number): FramedText[] {
  const out: FramedText[] = [];
  let line = 1;
  for (let k = 0; k < open; k++) if (body[k] === 0x0a) line++;
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** The current element's first byte and line, once a byte other than whitespace is seen. */
  let elementStart = -1;
  let elementLine = 0;
  let elementEnd = -1;
  const take = (at: number): void => {
    if (elementStart < 0) throw new PushRequestError(400, `the JSON array has an empty element before byte ${at}`);
    out.push(element(body, elementStart, elementEnd, elementLine, maxRecordBytes));
    elementStart = -1;
  };
  for (let i = open + 1; i < body.length; i++) {
    const c = body[i]!;
    if (c === 0x0a) line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22 /* " */) inString = false;
      elementEnd = i + 1;
      continue;
    }
    if (depth === 0 && (c === 0x2c /* , */ || c === 0x5d) /* ] */) {
      if (c === 0x5d && elementStart < 0 && out.length === 0) return ensureEnd(body, i + 1, out);
      take(i);
      if (c === 0x5d) return ensureEnd(body, i + 1, out);
      continue;
    }
    if (WHITESPACE.has(c)) continue;
    if (elementStart < 0) {
      elementStart = i;
      elementLine = line;
    }
    elementEnd = i + 1;
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b) depth++;
    else if (c === 0x7d /* } */ || c === 0x5d) depth--;
    if (depth < 0) throw new PushRequestError(400, `the JSON array is not well formed at byte ${i}`);
  }
  throw new PushRequestError(400, 'the JSON array is cut short (no closing bracket)');
}

function ensureEnd(body: Buffer, from: number, out: FramedText[]): FramedText[] {
  for (let i = from; i < body.length; i++)
    if (!WHITESPACE.has(body[i]!))
      throw new PushRequestError(400, `the body goes on after its JSON array, at byte ${i}`);
  return out;
}

function element(body: Buffer, start: number, end: number, line: number, maxRecordBytes: number): FramedText {
  const at = { line, startOffset: start, endOffset: end };
  if (end - start > maxRecordBytes) return { ...at, text: '', tooLong: true };
  const bytes = body.subarray(start, end);
  if (!isUtf8(bytes)) return { ...at, text: '', tooLong: false, invalidUtf8At: start + firstInvalidUtf8(bytes) };
  return { ...at, text: bytes.toString('utf8'), tooLong: false };
}
