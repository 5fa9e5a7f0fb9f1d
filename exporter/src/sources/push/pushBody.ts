import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { PushAbortedError, PushRequestError } from './pushErrors';

/**
 * A push's body, decompressed (`Content-Encoding: gzip`) and at most `maxBytes` both as sent and decompressed
 * (so a small gzip bomb is refused too): PushRequestError 413 beyond, 415 for another encoding, 400 for
 * broken gzip. A body announced larger than `maxBytes` is refused before any of it is read.
 */
export function readPushBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = (what: string) =>
    new PushRequestError(413, `the body is larger than push.max_body_bytes (${maxBytes} bytes)${what}`);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip')
    return Promise.reject(new PushRequestError(415, `Content-Encoding ${encoding}: expected gzip or none`));
  const announced = Number(req.headers['content-length']);
  if (announced > maxBytes) return Promise.reject(tooLarge(''));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sent = 0;
    let decoded = 0;
    let settled = false;
    const gunzip = encoding === 'identity' ? undefined : createGunzip();
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      req.unpipe();
      gunzip?.destroy();
      reject(e);
    };
    req.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > maxBytes) fail(tooLarge(''));
    });
    req.on('error', () => fail(new PushAbortedError()));
    req.on('close', () => {
      if (!req.complete) fail(new PushAbortedError());
    });
    const sink = gunzip ?? req;
    sink.on('data', (chunk: Buffer) => {
      if (settled) return;
      decoded += chunk.length;
      if (decoded > maxBytes) return fail(tooLarge(' once decompressed'));
      chunks.push(chunk);
    });
    sink.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, decoded));
    });
    if (gunzip) {
      gunzip.on('error', () => fail(new PushRequestError(400, 'the body is not valid gzip (Content-Encoding: gzip)')));
      req.pipe(gunzip);
    }
  });
}

/**
 * After answering a push early (413, 415), reads what the sender still sends, without keeping it, so it gets
 * the answer rather than a reset connection; a sender that goes on past `maxBytes` more is cut off.
 */
export function discardRest(req: IncomingMessage, maxBytes: number): void {
  let discarded = 0;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) req.destroy();
  });
  req.resume();
}
