import { parse, Root, Type } from 'protobufjs';

/**
 * The part of OTLP that /v1/logs and /v1/traces read, as .proto text parsed by protobufjs (kept in a module
 * rather than a .proto file so that the build, plain tsc, ships it).
 *
 * Field numbers and types are those of open-telemetry/opentelemetry-proto at commit
 * ac2c4b5d1f3a6079de62f9afec860158ecc8af09 (2026-08-18), files opentelemetry/proto/{common/v1/common.proto,
 * resource/v1/resource.proto, logs/v1/logs.proto, trace/v1/trace.proto, collector/logs/v1/logs_service.proto,
 * collector/trace/v1/trace_service.proto}; google.rpc.Status is googleapis google/rpc/status.proto (the body of
 * every OTLP/HTTP failure, opentelemetry-proto docs/specification.md "Failures"). Omitted are the fields this
 * subset never reads (dropped counts, flags, events, links, entity refs, the profiles dictionary indexes
 * `string_value_strindex` and `key_strindex`): a decoder skips unknown fields, so a body that carries them decodes
 * alike. Enums are read as their numbers (the OTLP JSON encoding requires numbers).
 */
const PROTO_FILES: readonly (readonly [string, string])[] = [
  [
    'opentelemetry/proto/common/v1/common.proto',
    `
syntax = "proto3";
package opentelemetry.proto.common.v1;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
}
`,
  ],
  [
    'opentelemetry/proto/resource/v1/resource.proto',
    `
syntax = "proto3";
package opentelemetry.proto.resource.v1;

message Resource {
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 1;
}
`,
  ],
  [
    'opentelemetry/proto/logs/v1/logs.proto',
    `
syntax = "proto3";
package opentelemetry.proto.logs.v1;

message ResourceLogs {
  opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeLogs scope_logs = 2;
  string schema_url = 3;
}
message ScopeLogs {
  opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated LogRecord log_records = 2;
  string schema_url = 3;
}
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  opentelemetry.proto.common.v1.AnyValue body = 5;
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 6;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
`,
  ],
  [
    'opentelemetry/proto/trace/v1/trace.proto',
    `
syntax = "proto3";
package opentelemetry.proto.trace.v1;

message ResourceSpans {
  opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
  string schema_url = 3;
}
message ScopeSpans {
  opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated Span spans = 2;
  string schema_url = 3;
}
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 9;
  Status status = 15;
}
message Status {
  string message = 2;
  int32 code = 3;
}
`,
  ],
  [
    'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    `
syntax = "proto3";
package opentelemetry.proto.collector.logs.v1;

message ExportLogsServiceRequest {
  repeated opentelemetry.proto.logs.v1.ResourceLogs resource_logs = 1;
}
message ExportLogsServiceResponse {
  ExportLogsPartialSuccess partial_success = 1;
}
message ExportLogsPartialSuccess {
  int64 rejected_log_records = 1;
  string error_message = 2;
}
`,
  ],
  [
    'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    `
syntax = "proto3";
package opentelemetry.proto.collector.trace.v1;

message ExportTraceServiceRequest {
  repeated opentelemetry.proto.trace.v1.ResourceSpans resource_spans = 1;
}
message ExportTraceServiceResponse {
  ExportTracePartialSuccess partial_success = 1;
}
message ExportTracePartialSuccess {
  int64 rejected_spans = 1;
  string error_message = 2;
}
`,
  ],
  [
    'google/rpc/status.proto',
    `
syntax = "proto3";
package google.rpc;

message Status {
  int32 code = 1;
  string message = 2;
}
`,
  ],
];

/** The messages this subset defines, by the name each has in OTLP. */
export interface OtlpTypes {
  logsRequest: Type;
  logsResponse: Type;
  traceRequest: Type;
  traceResponse: Type;
  rpcStatus: Type;
}

let types: OtlpTypes | undefined;

/** Parsed on first use, so that loading the module costs nothing. */
export function otlpTypes(): OtlpTypes {
  if (types) return types;
  // protobufjs reads one package per text: each file is parsed into the same root, where names resolve across them.
  const root = new Root();
  for (const [, text] of PROTO_FILES) parse(text, root, { keepCase: false });
  types = {
    logsRequest: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    logsResponse: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
    traceRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    traceResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    rpcStatus: root.lookupType('google.rpc.Status'),
  };
  return types;
}
