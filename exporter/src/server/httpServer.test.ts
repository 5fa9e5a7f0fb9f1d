import { connect, Socket } from 'node:net';
import type { Server } from 'node:http';
import { closeServer, listen } from './httpServer';

/** Writes one GET on `socket` and resolves with the answer's status line, or rejects when the socket closes first. */
function get(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const closed = () => reject(new Error('the server closed the connection'));
    if (socket.destroyed) return closed();
    socket.once('close', closed);
    socket.once('data', (d: Buffer) => {
      socket.off('close', closed);
      resolve(d.toString('latin1').split('\r\n')[0]!);
    });
    socket.write('GET /ext_authz/v1/chat/completions HTTP/1.1\r\nHost: tokenledger\r\n\r\n');
  });
}

describe('listen', () => {
  let server: Server;
  afterEach(() => closeServer(server));

  it('keeps an idle keep-alive connection longer than the 5 s node:http closes it after, so a pool can reuse it', async () => {
    server = await listen((_req, res) => res.end(), '127.0.0.1', 0);
    const { port } = server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    try {
      expect(await get(socket)).toBe('HTTP/1.1 200 OK');
      // Idle as a gateway's pooled connection between two checks, past node:http's default keepAliveTimeout (5 s,
      // and the 1 s it adds before the socket times out).
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      expect(await get(socket)).toBe('HTTP/1.1 200 OK');
    } finally {
      socket.destroy();
    }
  });

  it('closes, with that timeout, once a connection answering a request at the close has answered', async () => {
    let requested = (): void => {};
    const inHandler = new Promise<void>((resolve) => (requested = resolve));
    let answer = (): void => {};
    server = await listen(
      (_req, res) => {
        answer = () => res.end();
        requested();
      },
      '127.0.0.1',
      0
    );
    const { port } = server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    try {
      const answered = get(socket);
      await inHandler; // busy answering: not an idle connection close() closes at once
      let closed = false;
      const closing = closeServer(server).then(() => (closed = true));
      answer();
      expect(await answered).toBe('HTTP/1.1 200 OK');
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      expect(closed).toBe(true);
    } finally {
      socket.destroy();
    }
  });
});
