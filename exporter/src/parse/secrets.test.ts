import { looksLikeSecret } from './secrets';

describe('looksLikeSecret', () => {
  it.each([
    'sk-live-SECRET1',
    'sk-proj-abc',
    'sk_test_51Habc',
    'Bearer abc',
    'basic dXNlcjpwYXNz',
    'key=sk-abc123',
    'AIzaSyA-1234567890abcdefghijklmnopqrs',
    'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    'xoxb-123-456-abc',
    'hf_abcdefghij',
    'AKIAIOSFODNN7EXAMPLE',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
    'Zx9Qm2LpR7vT4kWn8sYb3HcJ',
    'k8s9x7q2w4e5r6t1y3u8i9o0p2a4s6d8',
    // exactly 16 characters mixing cases and digits
    'Zx9Qm2LpR7vT4kWn',
    // a header value logged with its leading blank
    ' hf_abcdefghij',
  ])('flags %s', (s) => expect(looksLikeSecret(s)).toBe(true));

  it.each([
    'alice@example.com',
    'team-eng',
    'gpt-4o-2024-08-06',
    'claude-sonnet-4-5-20250929',
    'Meta-Llama-3.1-70B-Instruct',
    'bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0',
    'a3c9e1f07b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e',
    'A3C9E1F07B2D4C6E8F0A1B3C5D7E9F1A',
    '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
    'chatcmpl-7d2f0a1e-0001',
    '2025-01-01T10:00:00.123Z',
    'default/openai/route/chat-route/rule/0/ref/0',
    'skeleton-key',
    'yesterday',
    // short runs mixing cases and digits (Qwen2, 72B) are model names, not keys
    'Qwen2.5-VL-72B-Instruct',
    // a run of 16 to 31 letters and digits in one case is a name, not a key
    'deployment7gpt4omini2024',
  ])('passes %s', (s) => expect(looksLikeSecret(s)).toBe(false));
});
