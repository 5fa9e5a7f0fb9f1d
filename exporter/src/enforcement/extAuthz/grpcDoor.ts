import type * as grpc from '@grpc/grpc-js';
import type { AuthConfig } from '../../auth/apiTokens';
import { ConfigError } from '../../config/reader';
import type { Logger } from '../../log';
import type { Decider } from '../decider';
import { checkCaller, TOKEN_CONTEXT_EXTENSION } from './callers';
import type { CheckRequestMessage, CheckResponseMessage } from './checkMessages';
import { decodeCheckRequest, encodeCheckResponse, EnvoyCheck } from './checkWire';
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
import { encodeHeaderBlock, HeaderField } from './h2/hpack';
import type { RequestHeaders } from './h2/requestHeaders';
import { H2Server } from './h2/server';
import type { H2Stream } from './h2/stream';
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
const RESPONSE_FIELDS: HeaderField[] = [
  [':status', '200'],
  ['content-type', 'application/grpc+proto'],
];
const RESPONSE_HEADERS = encodeHeaderBlock(RESPONSE_FIELDS);
/** "Status must be sent in Trailers even if the status code is OK." */
const OK_TRAILERS = encodeHeaderBlock([['grpc-status', String(GrpcStatus.OK)]]);
/** "If Content-Type does not begin with "application/grpc", gRPC servers SHOULD respond with HTTP status of 415". */
const UNSUPPORTED_MEDIA_TYPE = encodeHeaderBlock([[':status', '415']]);

/**
 * A call's failure: Trailers-Only (":status 200", content-type and the Status trailers in one HEADERS frame with
 * END_STREAM), "permitted for calls that produce an immediate error". When the request is still arriving, the
 * stream is reset with NO_ERROR after it (./h2/stream.ts), as "Early Server Closure" says, so the caller stops
 * sending a message no one reads.
 */
function refuse(stream: H2Stream, e: GrpcError): void {
  stream.respond(
    encodeHeaderBlock([
      ...RESPONSE_FIELDS,
      ...Object.entries(e.trailers),
      ['grpc-status', String(e.code)],
      ['grpc-message', percentEncoded(e.message)],
    ])
  );
}

/** The caller's token: `authorization` metadata (Envoy `initial_metadata`), else the context extension. */
function presentedToken(headers: RequestHeaders, check: EnvoyCheck): string | undefined {
  const fromMetadata = headers.authorization;
  if (fromMetadata !== undefined) return fromMetadata;
  const fromContext = check.contextExtensions[TOKEN_CONTEXT_EXTENSION];
  return fromContext ? `Bearer ${fromContext}` : undefined;
}

/**
 * The gRPC door: Envoy's ext_authz filter (and Envoy Gateway, Envoy AI Gateway, Istio) calls
 * `envoy.service.auth.v3.Authorization/Check` here. A caller without a valid token gets the RPC error
 * UNAUTHENTICATED or PERMISSION_DENIED; a decision that throws, UNAVAILABLE. Envoy treats both as an error of the
 * authorization service, which its `failure_mode_allow` and `status_on_error` govern; a budget that fails closed
 * is a denial (503) instead, decided here.
 *
 * A gRPC server for its one unary method, after grpc/grpc doc/PROTOCOL-HTTP2.md, on the HTTP/2 server of ./h2/,
 * neither grpc-js nor node:http2: their streams were most of what serve allocated a gRPC decision, and the garbage
 * collections that followed were serve's latency tail (bench/README.md, "Decisions"). What a client sees is what
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
    private readonly server: H2Server,
    readonly port: number
  ) {}

  static async start(o: GrpcDoorOptions): Promise<GrpcDoor> {
    const server = new H2Server(
      (stream) => GrpcDoor.call(o, stream),
      (e) => o.log.error(`ext_authz (gRPC): internal error, connection closed: ${(e as Error).stack ?? String(e)}`)
    );
    try {
      return new GrpcDoor(server, await server.listen(o.port, o.host));
    } catch (e) {
      throw new ConfigError(`cannot listen on ${address(o)} (enforcement.grpc_listen): ${(e as Error).message}`);
    }
  }

  private static call(o: GrpcDoorOptions, stream: H2Stream): void {
    const headers = stream.headers;
    const contentType = headers['content-type'];
    if (contentType === undefined || !contentType.startsWith('application/grpc')) {
      stream.respond(UNSUPPORTED_MEDIA_TYPE);
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
      const ms = grpcTimeoutMs(timeout);
      if (ms === undefined) {
        refuse(stream, new GrpcError(GrpcStatus.INTERNAL, `Invalid grpc-timeout value "${timeout}"`));
        return;
      }
      deadline = Date.now() + ms;
    }
    const reader = new UnaryMessageReader(MAX_CHECK_REQUEST_BYTES);
    stream.onData = (chunk: Buffer) => {
      if (!stream.answerable) return;
      try {
        reader.push(chunk);
      } catch (e) {
        refuse(stream, e as GrpcError);
      }
    };
    stream.onEnd = () => {
      if (!stream.answerable) return;
      let message: ReceivedMessage;
      try {
        message = reader.end();
      } catch (e) {
        refuse(stream, e as GrpcError);
        return;
      }
      GrpcDoor.answer(o, stream, message, deadline).catch((e: unknown) =>
        refuse(stream, e instanceof GrpcError ? e : new GrpcError(GrpcStatus.INTERNAL, 'internal error'))
      );
    };
  }

  private static async answer(
    o: GrpcDoorOptions,
    stream: H2Stream,
    message: ReceivedMessage,
    deadline: number
  ): Promise<void> {
    const headers = stream.headers;
    const bytes = message.compressed
      ? await decompress(message.bytes, headers['grpc-encoding'], MAX_CHECK_REQUEST_BYTES)
      : message.bytes;
    let check: EnvoyCheck;
    try {
      check = decodeCheckRequest(bytes);
    } catch (e) {
      // grpc-js's words and status for a message its deserializer cannot read.
      throw new GrpcError(GrpcStatus.INTERNAL, `Error deserializing request: ${(e as Error).message}`);
    }
    const caller = checkCaller(o.auth(), presentedToken(headers, check));
    if (!caller.allowed)
      throw new GrpcError(
        caller.status === 401 ? GrpcStatus.UNAUTHENTICATED : GrpcStatus.PERMISSION_DENIED,
        caller.message
      );
    let response: Buffer;
    try {
      response = encodeCheckResponse(await o.decider().check(check.request));
    } catch (e) {
      o.log.error(`ext_authz (gRPC): the decision failed: ${(e as Error).message}`);
      throw new GrpcError(GrpcStatus.UNAVAILABLE, 'the decision failed; see the TokenLedger log');
    }
    if (Date.now() > deadline) throw new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded');
    stream.respond(RESPONSE_HEADERS, lengthPrefixed(response), OK_TRAILERS);
  }

  /** Stops taking connections; lets answers in flight finish (for at most SHUTDOWN_GRACE_MS), then closes. */
  stop(): Promise<void> {
    // GOAWAY, then each connection closes once its streams are done (PROTOCOL-HTTP2.md, "GOAWAY Frame").
    return this.server.close(SHUTDOWN_GRACE_MS);
  }
}

function address(o: { host: string; port: number }): string {
  return o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
}
