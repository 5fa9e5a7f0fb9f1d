import { isRejection } from '../types';
import { LineParser } from './lineParser';

describe('envoy preset: Red Hat MaaS identity', () => {
  // An Istio JSON access log line with the keys of MaaS's own usage log (opendatahub-io/models-as-a-service
  // deployment/components/observability/usage-logs/envoy-otel-access-log.yaml: user_id, subscription, groups
  // from X-MaaS-Username / X-MaaS-Subscription / X-MaaS-Group, key_id and key_name from Kuadrant's auth
  // identity, model and tokens_* from the response's usage), in the format docs/formats.md gives. Envoy's
  // JSON format keeps numbers typed (%DURATION%, %RESPONSE_CODE%); metadata may arrive as strings.
  const line = {
    start_time: '2026-11-30T10:00:00.123Z',
    'x-request-id': '5f1c2a9e-8d7b-4c3a-9f0e-1d2c3b4a5f6e',
    duration: 842,
    response_code: 200,
    user_id: 'alice@example.com',
    subscription: 'premium-subscription',
    groups: '["system:authenticated","tenant-a"]',
    key_id: 'k-7f3a',
    key_name: 'ci-bot',
    model: 'granite-3-8b-instruct',
    tokens_prompt: '120',
    tokens_completion: 48,
    tokens_total: 168,
  };
  const parser = new LineParser({ format: 'envoy', mappings: {} });

  it('reads user, subscription (as the tier), API key, model and tokens', () => {
    const parsed = parser.parse(JSON.stringify(line));
    if (isRejection(parsed)) throw new Error(parsed.message);
    const r = parsed.record;
    expect([r.requestId, r.startMs, r.durationMs, r.httpStatus]).toEqual([
      line['x-request-id'],
      Date.parse(line.start_time),
      842,
      200,
    ]);
    expect([r.user, r.tier, r.apiKeyId, r.apiKeyAlias, r.model]).toEqual([
      'alice@example.com',
      'premium-subscription',
      'k-7f3a',
      'ci-bot',
      'granite-3-8b-instruct',
    ]);
    expect([r.tokens.inputUncached, r.tokens.output]).toEqual([120, 48]);
  });

  it('takes the header names as keys when the log names them so', () => {
    const { user_id, subscription, ...rest } = line;
    const parsed = parser.parse(
      JSON.stringify({ ...rest, 'x-maas-username': user_id, 'x-maas-subscription': subscription })
    );
    if (isRejection(parsed)) throw new Error(parsed.message);
    expect([parsed.record.user, parsed.record.tier]).toEqual([user_id, subscription]);
  });
});
