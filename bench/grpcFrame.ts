/**
 * gRPC's length-prefixed message framing over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md: "Length-Prefixed-Message
 * → Compressed-Flag Message-Length Message", a 1-byte flag and a 4-byte big-endian length), for bench:decide's
 * cheap gRPC client and its raw node:http2 no-op server: no grpc-js on either side, so the figures are the
 * server's under test and not grpc-js's own cost.
 */

/** One uncompressed message in a gRPC frame: the gRPC door's own framing. */
export { lengthPrefixed as grpcFrame } from '../exporter/src/enforcement/extAuthz/grpcWire';

/** The message of a body holding exactly one uncompressed frame; throws on anything else. */
export function grpcUnframe(body: Buffer): Buffer {
  if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5)
    throw new Error(`not one uncompressed gRPC frame (${body.length} bytes)`);
  return body.subarray(5);
}
