import { createServer, request, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { discardRest, readPushBody } from './pushBody';
import { PushAbortedError, PushRequestError } from './pushErrors';

// readPushBody over real HTTP on 127.0.0.1: what a push route takes in, and what it refuses with which status.

const MAX = 1000;

describe('readPushBody', () => {
  let server: Server;
  let port: number;
  /** What the server made of each request: the body's length and first bytes, or the error. */
  let outcome: Promise<Buffer | Error>;

  beforeEach(async () => {
    server = createServer((req, res) => {
      outcome = readPushBody(req, MAX).then(
        (body) => {
          res.writeHead(200).end(`${body.length}`);
          return body;
        },
        (e: Error) => {
          if (e instanceof PushRequestError) {
            discardRest(req, MAX);
            if (e.status === 413) res.setHeader('Connection', 'close'); // as the push endpoints answer it
            res.writeHead(e.status).end(e.message);
          }
          return e;
        }
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a request a failing test left open must not hold the server
      })
  );

  /** Sends `chunks` as one body (chunked unless a Content-Length is given) and gives the status and answer. */
  function send(chunks: Buffer[], headers: Record<string, string> = {}): Promise<[number, string]> {
    return new Promise((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve([res.statusCode!, text]));
      });
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  const bytes = (n: number, c = 'x') => Buffer.from(c.repeat(n));

  it('takes a body as it is sent, in as many chunks as it comes in, up to the limit', async () => {
    expect(await send([bytes(400, 'a'), bytes(600, 'b')])).toEqual([200, '1000']);
    expect(((await outcome) as Buffer).toString()).toBe(`${'a'.repeat(400)}${'b'.repeat(600)}`);
    expect(await send([], { 'content-length': '0' })).toEqual([200, '0']);
    expect(await send([bytes(5)], { 'content-encoding': ' Identity ' })).toEqual([200, '5']);
  });

  it('decompresses gzip (Content-Encoding gzip or x-gzip)', async () => {
    const text = 'usage '.repeat(150); // 900 bytes
    expect(await send([gzipSync(text)], { 'content-encoding': 'gzip' })).toEqual([200, '900']);
    expect(((await outcome) as Buffer).toString()).toBe(text);
    expect(await send([gzipSync(text)], { 'content-encoding': 'X-GZIP' })).toEqual([200, '900']);
  });

  it('refuses another encoding with 415', async () => {
    expect(await send([bytes(5)], { 'content-encoding': 'br' })).toEqual([
      415,
      'Content-Encoding br: expected gzip or none',
    ]);
  });

  it('refuses a body larger than the limit with 413, announced or not, and the sender gets the answer', async () => {
    const tooLarge = `the body is larger than push.max_body_bytes (${MAX} bytes)`;
    expect(await send([bytes(MAX + 1)], { 'content-length': String(MAX + 1) })).toEqual([413, tooLarge]);
    expect(await send([bytes(MAX), bytes(1)])).toEqual([413, tooLarge]);
    expect(await send([bytes(MAX)], { 'content-length': String(MAX) })).toEqual([200, String(MAX)]);
  });

  it('refuses a body announced larger than the limit before it arrives', async () => {
    const answer = await new Promise<[number, string]>((resolve, reject) => {
      const req = request(
        { port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'content-length': String(MAX + 1) } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            resolve([res.statusCode!, text]);
            req.destroy();
          });
        }
      );
      req.on('error', reject);
      req.write(bytes(1)); // and nothing more: the answer must not wait for the rest
    });
    expect(answer).toEqual([413, `the body is larger than push.max_body_bytes (${MAX} bytes)`]);
  });

  it('refuses a body larger than the limit once decompressed with 413, and broken gzip with 400', async () => {
    const bomb = gzipSync(bytes(MAX + 1)); // a few dozen bytes sent
    expect(bomb.length).toBeLessThan(MAX);
    expect(await send([bomb], { 'content-encoding': 'gzip' })).toEqual([
      413,
      `the body is larger than push.max_body_bytes (${MAX} bytes) once decompressed`,
    ]);
    expect(await send([gzipSync(bytes(MAX))], { 'content-encoding': 'gzip' })).toEqual([200, String(MAX)]);
    expect(await send([Buffer.from('not gzip at all')], { 'content-encoding': 'gzip' })).toEqual([
      400,
      'the body is not valid gzip (Content-Encoding: gzip)',
    ]);
  });

  it('tells a sender that left before its whole body arrived from a refusal', async () => {
    await new Promise<void>((resolve) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'content-length': '100' } });
      req.on('error', () => resolve());
      req.write(bytes(10), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    const e = await outcome;
    expect(e).toBeInstanceOf(PushAbortedError);
    expect((e as Error).message).toBe('the sender left before its whole body arrived');
  });

  /**
   * Over one raw connection: a POST of `body` refused for its encoding (415, before any of it is read, so all of
   * it goes to discardRest), then, once its answer is in, a valid POST of 5 bytes. Gives the status line of each
   * answer the connection gave before it closed.
   */
  function refusedThenValid(body: Buffer): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let second = false;
      const statusLines = () => received.split('\r\n').filter((l) => l.startsWith('HTTP/1.1'));
      socket.on('data', (c: Buffer) => {
        received += c.toString();
        if (!second && received.includes('expected gzip or none')) {
          second = true;
          socket.write('POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello');
        } else if (statusLines().length === 2) socket.end();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(statusLines()));
      socket.write(`POST / HTTP/1.1\r\nHost: t\r\nContent-Encoding: br\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body);
    });
  }

  it('after a refusal, reads up to the limit more without keeping it, and cuts off a sender that goes on', async () => {
    // Read to its end: the connection stays usable for the next request.
    expect(await refusedThenValid(bytes(MAX))).toEqual(['HTTP/1.1 415 Unsupported Media Type', 'HTTP/1.1 200 OK']);
    // One byte more than the limit after the refusal: the connection is cut, the next request gets no answer.
    expect(await refusedThenValid(bytes(MAX + 1))).toEqual(['HTTP/1.1 415 Unsupported Media Type']);
  });

  it('a sender that leaves in the middle of a gzip body is told apart from broken gzip', async () => {
    const gz = gzipSync(Buffer.from(Array.from({ length: 600 }, (_, i) => i % 251))); // hardly compressible
    await new Promise<void>((resolve) => {
      const req = request({
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/',
        headers: { 'content-length': String(gz.length), 'content-encoding': 'gzip' },
      });
      req.on('error', () => resolve());
      req.write(gz.subarray(0, 100), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    expect(await outcome).toBeInstanceOf(PushAbortedError);
  });
});
