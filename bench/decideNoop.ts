/**
 * The baseline of bench:decide, run as its own process as serve is: a bare server of each protocol that does
 * nothing but answer. gRPC: grpc-js with the same ext_authz service definition (so it decodes the same
 * CheckRequest and encodes a CheckResponse), answering status OK. HTTP: node:http reading the body and answering
 * 200. Prints `noop grpc=<port> http=<port>` once both listen; stops on SIGTERM.
 */
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckResponseMessage } from '../exporter/src/enforcement/extAuthz/checkMessages';
import { authorizationService } from '../exporter/src/enforcement/extAuthz/grpcDoor';

const OK: CheckResponseMessage = { status: { code: 0 } };

async function main(): Promise<void> {
  const grpcServer = new grpc.Server();
  grpcServer.addService(authorizationService(), {
    Check: (_call: grpc.ServerUnaryCall<unknown, CheckResponseMessage>, cb: grpc.sendUnaryData<CheckResponseMessage>) =>
      cb(null, OK),
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) =>
      e ? reject(e) : resolve(port)
    )
  );
  const httpServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-length': '0' }).end());
  });
  httpServer.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  process.stdout.write(`noop grpc=${grpcPort} http=${(httpServer.address() as AddressInfo).port}\n`);
  process.once('SIGTERM', () => {
    grpcServer.forceShutdown();
    httpServer.close();
    httpServer.closeAllConnections();
  });
}

void main();
