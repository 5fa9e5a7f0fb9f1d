import * as grpc from '@grpc/grpc-js';
import type { AuthConfig } from '../../auth/apiTokens';
import { ConfigError } from '../../config/reader';
import type { Logger } from '../../log';
import type { Decider } from '../decider';
import { checkCaller, TOKEN_CONTEXT_EXTENSION } from './callers';
import { CheckRequestMessage, CheckResponseMessage, toCheckRequest, toCheckResponse } from './checkMessages';
import { CHECK_METHOD_PATH, extAuthzTypes } from './protos';

/**
 * Largest CheckRequest accepted (grpc-js defaults to 4 MiB): Envoy's `with_request_body` puts the request body
 * into it, and a prompt with images is larger than that.
 */
const MAX_CHECK_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * The door's grpc-js server options (the bench's grpc-js no-op takes the same, so it measures what the decision
 * adds). Channelz off: grpc-js keeps per-call channelz counters and traces by default, ~5 % of serve's allocation
 * per decision (a heap profile under 2,000 decisions/s, bench/README.md "Decisions"), for an introspection
 * service the door does not offer.
 */
export const GRPC_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_CHECK_REQUEST_BYTES,
  'grpc.enable_channelz': 0,
};

/** How long stop() lets answers in flight finish before it closes their connections. */
const SHUTDOWN_GRACE_MS = 2000;

/** `envoy.service.auth.v3.Authorization` over ./protos.ts, for the server and for clients (tests, the bench). */
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

/** The caller's token: `authorization` metadata (Envoy `initial_metadata`), else the context extension. */
function presentedToken(call: grpc.ServerUnaryCall<CheckRequestMessage, CheckResponseMessage>): string | undefined {
  const fromMetadata = call.metadata.get('authorization')[0];
  if (typeof fromMetadata === 'string') return fromMetadata;
  const fromContext = call.request.attributes?.context_extensions?.[TOKEN_CONTEXT_EXTENSION];
  return fromContext ? `Bearer ${fromContext}` : undefined;
}

/**
 * The gRPC door: Envoy's ext_authz filter (and Envoy Gateway, Envoy AI Gateway, Istio) calls
 * `envoy.service.auth.v3.Authorization/Check` here. A caller without a valid token gets the RPC error
 * UNAUTHENTICATED or PERMISSION_DENIED; a decision that throws, UNAVAILABLE. Envoy treats both as an error of the
 * authorization service, which its `failure_mode_allow` and `status_on_error` govern; a budget that fails closed
 * is a denial (503) instead, decided here.
 */
export class GrpcDoor {
  private constructor(
    private readonly server: grpc.Server,
    readonly port: number
  ) {}

  static async start(o: GrpcDoorOptions): Promise<GrpcDoor> {
    // grpc-js writes its own errors to stderr (a failed bind twice); they belong in our log, where what matters
    // of them is said in our words.
    grpc.setLogger({ error: (...a: unknown[]) => o.log.debug(`grpc-js: ${a.join(' ')}`) });
    const server = new grpc.Server(GRPC_SERVER_OPTIONS);
    server.addService(authorizationService(), {
      Check: (
        call: grpc.ServerUnaryCall<CheckRequestMessage, CheckResponseMessage>,
        callback: grpc.sendUnaryData<CheckResponseMessage>
      ) => {
        const caller = checkCaller(o.auth(), presentedToken(call));
        if (!caller.allowed) {
          const code = caller.status === 401 ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED;
          callback({ code, details: caller.message });
          return;
        }
        o.decider()
          .check(toCheckRequest(call.request))
          .then(
            (decision) => callback(null, toCheckResponse(decision)),
            (e: Error) => {
              o.log.error(`ext_authz (gRPC): the decision failed: ${e.message}`);
              callback({ code: grpc.status.UNAVAILABLE, details: 'the decision failed; see the TokenLedger log' });
            }
          );
      },
    });
    const address = o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e, bound) =>
        e
          ? reject(new ConfigError(`cannot listen on ${address} (enforcement.grpc_listen): ${e.message}`))
          : resolve(bound)
      )
    );
    return new GrpcDoor(server, port);
  }

  /** Lets answers in flight finish (for at most SHUTDOWN_GRACE_MS), then closes. */
  async stop(): Promise<void> {
    const timer = setTimeout(() => this.server.forceShutdown(), SHUTDOWN_GRACE_MS);
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    clearTimeout(timer);
  }
}
