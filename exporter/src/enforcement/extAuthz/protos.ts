import * as protobuf from 'protobufjs';

/**
 * The part of Envoy's external authorization API v3 the gRPC door speaks, written from the public API reference and
 * checked field by field against it (envoyproxy/envoy, main, 2026):
 *
 * - api/envoy/service/auth/v3/external_auth.proto: service Authorization { rpc Check }; CheckRequest.attributes = 1;
 *   DeniedHttpResponse status = 1, headers = 2, body = 3; OkHttpResponse headers = 2, headers_to_remove = 5,
 *   response_headers_to_add = 6 (3 dynamic_metadata, 7/8 query parameters: not used here); CheckResponse
 *   status = 1, oneof http_response { denied_response = 2; ok_response = 3 } (4 dynamic_metadata: not used).
 * - api/envoy/service/auth/v3/attribute_context.proto: AttributeContext request = 4, context_extensions = 10
 *   (1/2 source/destination peers, 11-13 metadata and TLS: not used); Request time = 1, http = 2; HttpRequest
 *   id = 1, method = 2, headers = 3, path = 4, host = 5, scheme = 6, query = 7, fragment = 8, size = 9,
 *   protocol = 10, body = 11, raw_body = 12, header_map = 13.
 * - api/envoy/config/core/v3/base.proto: HeaderValue key = 1, value = 2, raw_value = 3; HeaderValueOption
 *   header = 1, append = 2 (BoolValue, deprecated), append_action = 3 (APPEND_IF_EXISTS_OR_ADD = 0, ADD_IF_ABSENT = 1,
 *   OVERWRITE_IF_EXISTS_OR_ADD = 2, OVERWRITE_IF_EXISTS = 3), keep_empty_value = 4; HeaderMap headers = 1.
 * - api/envoy/type/v3/http_status.proto: HttpStatus code = 1, an enum whose values are the HTTP codes themselves
 *   (only those this door sends are listed; proto3 enums are open, so others still decode).
 * - googleapis google/rpc/status.proto: Status code = 1, message = 2, details = 3; codes from google/rpc/code.proto.
 *
 * Fields left out are skipped as unknown fields when Envoy sends them (proto3), so a newer Envoy stays compatible.
 */
export const EXT_AUTHZ_PROTO = `
syntax = "proto3";

package envoy.service.auth.v3;

service Authorization {
  rpc Check(CheckRequest) returns (CheckResponse);
}

message CheckRequest {
  AttributeContext attributes = 1;
}

message AttributeContext {
  message Request {
    google.protobuf.Timestamp time = 1;
    HttpRequest http = 2;
  }
  message HttpRequest {
    string id = 1;
    string method = 2;
    map<string, string> headers = 3;
    envoy.config.core.v3.HeaderMap header_map = 13;
    string path = 4;
    string host = 5;
    string scheme = 6;
    string query = 7;
    string fragment = 8;
    int64 size = 9;
    string protocol = 10;
    string body = 11;
    bytes raw_body = 12;
  }
  Request request = 4;
  map<string, string> context_extensions = 10;
}

message DeniedHttpResponse {
  envoy.type.v3.HttpStatus status = 1;
  repeated envoy.config.core.v3.HeaderValueOption headers = 2;
  string body = 3;
}

message OkHttpResponse {
  repeated envoy.config.core.v3.HeaderValueOption headers = 2;
  repeated string headers_to_remove = 5;
  repeated envoy.config.core.v3.HeaderValueOption response_headers_to_add = 6;
}

message CheckResponse {
  google.rpc.Status status = 1;
  oneof http_response {
    DeniedHttpResponse denied_response = 2;
    OkHttpResponse ok_response = 3;
  }
}
`;

const CORE_PROTO = `
syntax = "proto3";

package envoy.config.core.v3;

message HeaderValue {
  string key = 1;
  string value = 2;
  bytes raw_value = 3;
}

message HeaderValueOption {
  enum HeaderAppendAction {
    APPEND_IF_EXISTS_OR_ADD = 0;
    ADD_IF_ABSENT = 1;
    OVERWRITE_IF_EXISTS_OR_ADD = 2;
    OVERWRITE_IF_EXISTS = 3;
  }
  HeaderValue header = 1;
  google.protobuf.BoolValue append = 2;
  HeaderAppendAction append_action = 3;
  bool keep_empty_value = 4;
}

message HeaderMap {
  repeated HeaderValue headers = 1;
}
`;

const HTTP_STATUS_PROTO = `
syntax = "proto3";

package envoy.type.v3;

enum StatusCode {
  Empty = 0;
  OK = 200;
  BadRequest = 400;
  Unauthorized = 401;
  Forbidden = 403;
  TooManyRequests = 429;
  InternalServerError = 500;
  ServiceUnavailable = 503;
}

message HttpStatus {
  StatusCode code = 1;
}
`;

const RPC_STATUS_PROTO = `
syntax = "proto3";

package google.rpc;

message Status {
  int32 code = 1;
  string message = 2;
  repeated google.protobuf.Any details = 3;
}
`;

/** google.rpc.Code values (googleapis google/rpc/code.proto) the doors use, with their documented HTTP mapping. */
export const RpcCode = {
  OK: 0, // 200
  INVALID_ARGUMENT: 3, // 400
  PERMISSION_DENIED: 7, // 403
  RESOURCE_EXHAUSTED: 8, // 429
  FAILED_PRECONDITION: 9, // 400
  INTERNAL: 13, // 500
  UNAVAILABLE: 14, // 503
  UNAUTHENTICATED: 16, // 401
} as const;

/** HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD (base.proto). */
export const OVERWRITE_IF_EXISTS_OR_ADD = 2;

/** The message types of the ext_authz API, resolved once. */
export interface ExtAuthzTypes {
  CheckRequest: protobuf.Type;
  CheckResponse: protobuf.Type;
}

let types: ExtAuthzTypes | undefined;

export function extAuthzTypes(): ExtAuthzTypes {
  if (types) return types;
  const root = new protobuf.Root();
  for (const name of ['google/protobuf/wrappers.proto', 'google/protobuf/timestamp.proto', 'google/protobuf/any.proto'])
    root.addJSON(protobuf.common.get(name)!.nested!);
  for (const source of [CORE_PROTO, HTTP_STATUS_PROTO, RPC_STATUS_PROTO, EXT_AUTHZ_PROTO])
    protobuf.parse(source, root, { keepCase: true });
  root.resolveAll();
  types = {
    CheckRequest: root.lookupType('envoy.service.auth.v3.CheckRequest'),
    CheckResponse: root.lookupType('envoy.service.auth.v3.CheckResponse'),
  };
  return types;
}

/** The full gRPC method path Envoy calls. */
export const CHECK_METHOD_PATH = '/envoy.service.auth.v3.Authorization/Check';
