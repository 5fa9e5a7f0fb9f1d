/**
 * The baseline of bench:decide, run as its own process as serve is: a bare server of each protocol that does
 * nothing but answer. gRPC: grpc-js with the same ext_authz service definition (so it decodes
 * the same CheckRequest and encodes a CheckResponse), answering status OK; the same on node:http2 with gRPC's framing
 * (./grpcFrame.ts), and on the gRPC door's own HTTP/2 server (exporter/src/enforcement/extAuthz/h2) with the door's
 * message codec, what the door runs on: the door's cost over its transport. HTTP: node:http reading the body and
 * answering 200. Prints `noop grpc=<port> grpcraw=<port> grpch2=<port> http=<port>` once all listen; stops on
 * SIGTERM.
 */
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:http';
import { constants, createServer as createHttp2Server, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { CheckResponseMessage } from '../exporter/src/enforcement/extAuthz/checkMessages';
import type { Decision } from '../exporter/src/enforcement/decider';
import { decodeCheckRequest, encodeCheckResponse } from '../exporter/src/enforcement/extAuthz/checkWire';
import { authorizationService, MAX_CHECK_REQUEST_BYTES } from '../exporter/src/enforcement/extAuthz/grpcDoor';
import { encodeHeaderBlock } from '../exporter/src/enforcement/extAuthz/h2/hpack';
import { H2Server } from '../exporter/src/enforcement/extAuthz/h2/server';
import type { H2Stream } from '../exporter/src/enforcement/extAuthz/h2/stream';
import { extAuthzTypes } from '../exporter/src/enforcement/extAuthz/protos';
import { grpcFrame, grpcUnframe } from './grpcFrame';

/**
 * The grpc-js no-op's options: the door's message bound, and channelz off (grpc-js keeps per-call channelz
 * counters by default, ~5 % of a call's allocation, which the old grpc-js door turned off too).
 */
const GRPC_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_CHECK_REQUEST_BYTES,
  'grpc.enable_channelz': 0,
};

const OK: CheckResponseMessage = { status: { code: 0 } };

/** The raw no-op's answer to one Check stream: decodes the request as grpc-js would, answers OK. */
function answerRaw(stream: ServerHttp2Stream): void {
  const { CheckRequest, CheckResponse } = extAuthzTypes();
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  stream.on('end', () => {
    CheckRequest.decode(grpcUnframe(Buffer.concat(chunks)));
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(grpcFrame(CheckResponse.encode(OK).finish()));
  });
  stream.on('error', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
}

const H2_HEAD = encodeHeaderBlock([
  [':status', '200'],
  ['content-type', 'application/grpc'],
]);
const H2_TRAILERS = encodeHeaderBlock([['grpc-status', '0']]);

/** An allow without headers: a CheckResponse with status OK. */
const ALLOW: Decision = { kind: 'allow', status: 200, headers: {}, reason: '' };

/**
 * The own-h2 no-op's answer: the same as answerRaw's on the door's HTTP/2 server, reading and writing the messages
 * with the door's codec (../exporter/src/enforcement/extAuthz/checkWire.ts), so that the door's cost over it is the
 * decision's alone.
 */
function answerH2(stream: H2Stream): void {
  const chunks: Buffer[] = [];
  stream.onData = (d) => chunks.push(d);
  stream.onEnd = () => {
    decodeCheckRequest(grpcUnframe(Buffer.concat(chunks)));
    stream.respond(H2_HEAD, grpcFrame(encodeCheckResponse(ALLOW)), H2_TRAILERS);
  };
}

async function main(): Promise<void> {
  const grpcServer = new grpc.Server(GRPC_SERVER_OPTIONS);
  grpcServer.addService(authorizationService(), {
    Check: (_call: grpc.ServerUnaryCall<unknown, CheckResponseMessage>, cb: grpc.sendUnaryData<CheckResponseMessage>) =>
      cb(null, OK),
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) =>
      e ? reject(e) : resolve(port)
    )
  );
  const rawServer = createHttp2Server();
  rawServer.on('stream', answerRaw);
  await new Promise<void>((r) => rawServer.listen(0, '127.0.0.1', r));
  const h2Server = new H2Server(answerH2, (e) => {
    throw e;
  });
  const h2Port = await h2Server.listen(0, '127.0.0.1');
  const httpServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-length': '0' }).end());
  });
  httpServer.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const port = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port;
  process.stdout.write(`noop grpc=${grpcPort} grpcraw=${port(rawServer)} grpch2=${h2Port} http=${port(httpServer)}\n`);
  process.once('SIGTERM', () => {
    grpcServer.forceShutdown();
    rawServer.close();
    void h2Server.close(0);
    httpServer.close();
    httpServer.closeAllConnections();
  });
}

void main();
