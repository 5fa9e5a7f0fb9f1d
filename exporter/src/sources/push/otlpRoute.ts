import { otlpFailure, otlpPush, OtlpRequestError } from '../../parse/otlp/otlpPush';
import type { OtlpSignal } from '../../parse/otlp/request';
import { PushRequestError } from './pushErrors';
import type { PushRoute } from './pushRoute';

/**
 * `POST /v1/logs` and `POST /v1/traces`: OTLP/HTTP, protobuf or JSON by Content-Type (what the OpenTelemetry
 * Collector's otlphttp exporter and the SDKs' OTLP/HTTP exporters send). Each log record or GenAI span is one
 * text numbered as a line; the answers are OTLP's, in the request's encoding (parse/otlp/otlpPush.ts).
 */
export function otlpRoute(signal: OtlpSignal): PushRoute {
  return {
    path: `/v1/${signal}`,
    endpoint: `otlp_${signal}`,
    defaultSource: `push:otlp_${signal}`,
    decode(body, request, { maxRecordBytes }) {
      try {
        return otlpPush(signal, request.contentType, body, maxRecordBytes);
      } catch (e) {
        if (e instanceof OtlpRequestError) throw new PushRequestError(e.status, e.message);
        throw e;
      }
    },
    failure: (request, status, message) => otlpFailure(request.contentType, status, message),
  };
}
