import type { CheckRequestMessage } from '../exporter/src/enforcement/extAuthz/checkMessages';

/**
 * The request bench:decide sends and bench:codec decodes: a chat completion as Envoy's ext_authz filter describes
 * it in a CheckRequest (its headers as a map, the body as text), with the request id given.
 */

export const CHAT_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  max_tokens: 256,
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Summarise the attached quarterly report in three bullet points.' },
  ],
});

/** The client's own headers (its key, identity), as the gateway forwards them. */
export const CLIENT_HEADERS = {
  authorization: 'Bearer sk-bench-client-key',
  'content-type': 'application/json',
  'x-user-id': 'alice',
  'x-team-id': 'ml',
};

/**
 * A chat request with a long document in its prompt (`kb` KiB of text: lines of prose with quotes, escaped as
 * JSON escapes them), as Envoy forwards it with `with_request_body`.
 */
export function longPromptBody(kb: number): string {
  const line = 'The "quarterly" figures, revenue and costs by region; see table 4\\b.\n';
  return JSON.stringify({
    model: 'gpt-4o-mini',
    max_tokens: 256,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: `Summarise this report:\n${line.repeat(Math.ceil((kb * 1024) / line.length))}` },
    ],
  });
}

export function envoyCheckRequest(requestId: string, body = CHAT_BODY): CheckRequestMessage {
  return {
    attributes: {
      request: {
        http: {
          id: '1',
          method: 'POST',
          path: '/v1/chat/completions',
          headers: {
            ':authority': 'llm.example.com',
            ':path': '/v1/chat/completions',
            ':method': 'POST',
            ':scheme': 'http',
            'x-request-id': requestId,
            ...CLIENT_HEADERS,
          },
          body,
        },
      },
    },
  };
}
