import { createServer, Server, Socket } from 'node:net';
import { H2Connection } from './connection';
import type { H2Stream } from './stream';

/**
 * A cleartext HTTP/2 server (prior knowledge, RFC 9113 3.3) made of ./connection.ts on node:net, for the gRPC door.
 * Not node:http2: it keeps each stream's objects reachable from native handles until a full garbage collection, so
 * every request of a busy server was promoted to V8's old space, and the full collections that followed were the
 * door's latency tail (bench/README.md, "Decisions"). A request here is a few small objects that die young.
 */
export class H2Server {
  private readonly connections = new Set<H2Connection>();
  private readonly server: Server;

  /** `onStream` gets each request; `onInternalError` whatever it or a stream's callbacks threw (./connection.ts). */
  constructor(onStream: (stream: H2Stream) => void, onInternalError: (e: unknown) => void) {
    this.server = createServer((socket: Socket) => {
      const connection = new H2Connection(socket, onStream, onInternalError);
      this.connections.add(connection);
      socket.once('close', () => this.connections.delete(connection));
    });
  }

  /** Listens; rejects with the listen error (an address in use, say). */
  listen(port: number, host: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /**
   * Stops taking connections and sends GOAWAY on each open one: its streams in flight are answered, then it ends.
   * Connections still open after `graceMs` are dropped.
   */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.shutdown();
    const timer = setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
  }
}
