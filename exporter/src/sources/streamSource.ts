import type { Readable } from 'node:stream';
import { Framer, FramedText } from '../parse/framer';
import type { ReadHandler } from './types';

/**
 * Reads a stream to its end (stdin: `gateway | tokenledger ...`). A stream has no position to resume from:
 * after a restart nothing is re-read, and request ids keep a replayed stream from double counting.
 */
export async function readStream(
  stream: Readable,
  name: string,
  maxLineBytes: number,
  handler: ReadHandler
): Promise<void> {
  const framer = new Framer(0, 1, maxLineBytes);
  for await (const chunk of stream) {
    const texts: FramedText[] = [];
    framer.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer), texts);
    if (texts.length) await handler({ path: name, texts, position: undefined });
  }
  const texts: FramedText[] = [];
  framer.finish(texts);
  if (texts.length) await handler({ path: name, texts, position: undefined });
}
