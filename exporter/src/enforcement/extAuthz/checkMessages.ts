/**
 * Envoy's CheckRequest and CheckResponse as protobuf.js plain objects of ./protos.ts (field names as in the .proto,
 * snake_case): what gRPC clients built on grpc-js send and read (the tests' Envoy, the bench's grpc-js no-op). The
 * door itself reads and writes the wire bytes (./checkWire.ts).
 */

interface HeaderValue {
  key?: string;
  value?: string;
  raw_value?: Uint8Array;
}

export interface HttpRequestAttributes {
  id?: string;
  method?: string;
  headers?: Record<string, string>;
  header_map?: { headers?: HeaderValue[] };
  path?: string;
  host?: string;
  body?: string;
  raw_body?: Uint8Array;
}

export interface CheckRequestMessage {
  attributes?: {
    request?: { http?: HttpRequestAttributes };
    context_extensions?: Record<string, string>;
  };
}

interface HeaderValueOption {
  header: { key: string; value: string };
  append_action: number;
}

export interface CheckResponseMessage {
  status: { code: number; message?: string };
  ok_response?: { headers: HeaderValueOption[]; response_headers_to_add: HeaderValueOption[] };
  denied_response?: { status: { code: number }; headers: HeaderValueOption[]; body: string };
}
