import type * as grpc from '@grpc/grpc-js';
import { constants, createServer, Http2Server, Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { AuthConfig } from '../../auth/apiTokens';
import { ConfigError } from '../../config/reader';
import type { Logger } from '../../log';
import type { Decider } from '../decider';
import { checkCaller, TOKEN_CONTEXT_EXTENSION } from './callers';
import { CheckRequestMessage, CheckResponseMessage, toCheckRequest, toCheckResponse } from './checkMessages';
import {
  decompress,
  GrpcError,
  GrpcStatus,
  grpcTimeoutMs,
  lengthPrefixed,
  percentEncoded,
  ReceivedMessage,
  UnaryMessageReader,
} from './grpcWire';
import { CHECK_METHOD_PATH, extAuthzTypes } from './protos';

/**
 * Largest CheckRequest accepted (grpc-js's default is 4 MiB): Envoy's `with_request_body` puts the request body
 * into it, and a prompt with images is larger than that. Also the bound on a compressed message's decompressed size.
 */
export const MAX_CHECK_REQUEST_BYTES = 16 * 1024 * 1024;

/** How long stop() lets answers in flight finish before it closes their connections. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * `envoy.service.auth.v3.Authorization` over ./protos.ts as a grpc-js service definition, for gRPC clients (the
 * tests, the bench's grpc-js no-op). The door itself does not run on grpc-js (below).
 */
export function authorizationService(): grpc.ServiceDefinition<grpc.UntypedServiceImplementation> {
  const { CheckRequest, CheckResponse } = extAuthzTypes();
  return {
    Check: {
      path: CHECK_METHOD_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: CheckRequestMessage) => Buffer.from(CheckRequest.encode(m).finish()),
      // The decoded message's fields are the plain shape CheckRequestMessage describes (maps are objects).
      requestDeserialize: (b: Buffer) => CheckRequest.decode(b) as unknown as CheckRequestMessage,
      responseSerialize: (m: CheckResponseMessage) => Buffer.from(CheckResponse.encode(m).finish()),
      responseDeserialize: (b: Buffer) =>
        CheckResponse.toObject(CheckResponse.decode(b), { defaults: false }) as CheckResponseMessage,
    },
  };
}

export interface GrpcDoorOptions {
  host: string;
  port: number;
  decider: () => Decider;
  auth: () => AuthConfig;
  log: Logger;
}

/** Response-Headers of an answer with a message (the spec's "Response-Headers → HTTP-Status ... Content-Type"). */
const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc+proto' };
/** "Status must be sent in Trailers even if the status code is OK." */
const OK_TRAILERS = { 'grpc-status': String(GrpcStatus.OK) };

/** A listener shared by every answer (no closure per call): the OK trailers once the message is written. */
function sendOkTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

/**
 * A stream's 'error' (the caller reset it, e.g. Envoy's ext_authz timeout; PROTOCOL-HTTP2.md, "Client
 * Cancellation") ends the call; there is no one left to answer, and without a listener it would throw.
 */
function ignoreStreamError(): void {}

/** Whether the call's stream can still carry an answer (not reset nor answered). */
const answerable = (stream: ServerHttp2Stream): boolean => !stream.destroyed && !stream.closed && !stream.headersSent;

/**
 * A call's failure: Trailers-Only (":status 200", content-type and the Status trailers in one HEADERS frame with
 * END_STREAM), "permitted for calls that produce an immediate error". When the request is still arriving, RST_STREAM
 * NO_ERROR follows, as "Early Server Closure" says, so the caller stops sending a message no one reads.
 */
function refuse(stream: ServerHttp2Stream, e: GrpcError): void {
  if (!answerable(stream)) return;
  stream.respond(
    {
      ...RESPONSE_HEADERS,
      ...e.trailers,
      'grpc-status': String(e.code),
      'grpc-message': percentEncoded(e.message),
    },
    { endStream: true }
  );
  if (!stream.readableEnded) stream.close(constants.NGHTTP2_NO_ERROR);
}

/** The caller's token: `authorization` metadata (Envoy `initial_metadata`), else the context extension. */
function presentedToken(headers: IncomingHttpHeaders, request: CheckRequestMessage): string | undefined {
  const fromMetadata = headers.authorization;
  if (typeof fromMetadata === 'string') return fromMetadata;
  const fromContext = request.attributes?.context_extensions?.[TOKEN_CONTEXT_EXTENSION];
  return fromContext ? `Bearer ${fromContext}` : undefined;
}

/**
 * The gRPC door: Envoy's ext_authz filter (and Envoy Gateway, Envoy AI Gateway, Istio) calls
 * `envoy.service.auth.v3.Authorization/Check` here. A caller without a valid token gets the RPC error
 * UNAUTHENTICATED or PERMISSION_DENIED; a decision that throws, UNAVAILABLE. Envoy treats both as an error of the
 * authorization service, which its `failure_mode_allow` and `status_on_error` govern; a budget that fails closed
 * is a denial (503) instead, decided here.
 *
 * A gRPC server on node:http2 for its one unary method, after grpc/grpc doc/PROTOCOL-HTTP2.md, not on grpc-js:
 * grpc-js's call machinery over node:http2's streams was most of what serve allocated a gRPC decision, and its
 * garbage collections were serve's latency tail (bench/README.md, "Decisions"). What a client sees is what
 * grpc-js's server answered: a content-type not application/grpc* is HTTP 415; another path, UNIMPLEMENTED; a
 * message over MAX_CHECK_REQUEST_BYTES, RESOURCE_EXHAUSTED; none or two messages, UNIMPLEMENTED; a message that is
 * not a CheckRequest, a truncated one or a bad Compressed-Flag, INTERNAL; gzip and deflate read, other encodings
 * UNIMPLEMENTED. `grpc-timeout` (Envoy sends its ext_authz `timeout` so: source/common/grpc/common.cc,
 * `prepareHeaders`): a malformed one is INTERNAL; an answer ready after the deadline is
 * DEADLINE_EXCEEDED instead of the decision (a decision waits on nothing but a budget read after a reload), and a
 * caller that gives up resets the stream, after which nothing is written.
 */
export class GrpcDoor {
  private constructor(
    private readonly server: Http2Server,
    private readonly sessions: Set<Http2Session>,
    readonly port: number
  ) {}

  static async start(o: GrpcDoorOptions): Promise<GrpcDoor> {
    // grpc-js sets no limit on a session's buffered memory either ("Node's behavior degrades badly when this
    // limit is reached"); a call's own message is bounded by MAX_CHECK_REQUEST_BYTES.
    const server = createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER });
    const sessions = new Set<Http2Session>();
    server.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    server.on('stream', (stream, headers) => GrpcDoor.call(o, stream, headers));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: Error) =>
        reject(new ConfigError(`cannot listen on ${address(o)} (enforcement.grpc_listen): ${e.message}`))
      );
      server.listen(o.port, o.host, resolve);
    });
    return new GrpcDoor(server, sessions, (server.address() as AddressInfo).port);
  }

  private static call(o: GrpcDoorOptions, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', ignoreStreamError);
    // "If Content-Type does not begin with "application/grpc", gRPC servers SHOULD respond with HTTP status of 415".
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond({ ':status': constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE }, { endStream: true });
      if (!stream.readableEnded) stream.close(constants.NGHTTP2_NO_ERROR);
      return;
    }
    const path = headers[':path'];
    if (path !== CHECK_METHOD_PATH) {
      refuse(stream, new GrpcError(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path}`));
      return;
    }
    // "If Timeout is omitted a server should assume an infinite timeout."
    let deadline = Infinity;
    const timeout = headers['grpc-timeout'];
    if (timeout !== undefined) {
      const ms = grpcTimeoutMs(String(timeout));
      if (ms === undefined) {
        refuse(stream, new GrpcError(GrpcStatus.INTERNAL, `Invalid grpc-timeout value "${String(timeout)}"`));
        return;
      }
      deadline = Date.now() + ms;
    }
    const reader = new UnaryMessageReader(MAX_CHECK_REQUEST_BYTES);
    stream.on('data', (chunk: Buffer) => {
      if (!answerable(stream)) return;
      try {
        reader.push(chunk);
      } catch (e) {
        refuse(stream, e as GrpcError);
      }
    });
    stream.on('end', () => {
      if (!answerable(stream)) return;
      let message: ReceivedMessage;
      try {
        message = reader.end();
      } catch (e) {
        refuse(stream, e as GrpcError);
        return;
      }
      GrpcDoor.answer(o, stream, headers, message, deadline).catch((e: unknown) =>
        refuse(stream, e instanceof GrpcError ? e : new GrpcError(GrpcStatus.INTERNAL, 'internal error'))
      );
    });
  }

  private static async answer(
    o: GrpcDoorOptions,
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    message: ReceivedMessage,
    deadline: number
  ): Promise<void> {
    const { CheckRequest, CheckResponse } = extAuthzTypes();
    const bytes = message.compressed
      ? await decompress(message.bytes, headers['grpc-encoding'] as string | undefined, MAX_CHECK_REQUEST_BYTES)
      : message.bytes;
    let request: CheckRequestMessage;
    try {
      // The decoded message's fields are the plain shape CheckRequestMessage describes (maps are objects).
      request = CheckRequest.decode(bytes) as unknown as CheckRequestMessage;
    } catch (e) {
      // grpc-js's words and status for a message its deserializer cannot read.
      throw new GrpcError(GrpcStatus.INTERNAL, `Error deserializing request: ${(e as Error).message}`);
    }
    const caller = checkCaller(o.auth(), presentedToken(headers, request));
    if (!caller.allowed)
      throw new GrpcError(
        caller.status === 401 ? GrpcStatus.UNAUTHENTICATED : GrpcStatus.PERMISSION_DENIED,
        caller.message
      );
    let response: CheckResponseMessage;
    try {
      response = toCheckResponse(await o.decider().check(toCheckRequest(request)));
    } catch (e) {
      o.log.error(`ext_authz (gRPC): the decision failed: ${(e as Error).message}`);
      throw new GrpcError(GrpcStatus.UNAVAILABLE, 'the decision failed; see the TokenLedger log');
    }
    if (Date.now() > deadline) throw new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded');
    if (!answerable(stream)) return;
    stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    stream.once('wantTrailers', sendOkTrailers);
    stream.end(lengthPrefixed(CheckResponse.encode(response).finish()));
  }

  /** Stops taking connections; lets answers in flight finish (for at most SHUTDOWN_GRACE_MS), then closes. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // GOAWAY, then the session closes once its streams are done (PROTOCOL-HTTP2.md, "GOAWAY Frame").
    for (const session of this.sessions) session.close();
    const timer = setTimeout(() => {
      for (const session of this.sessions) session.destroy();
    }, SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }
}

function address(o: { host: string; port: number }): string {
  return o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
}
