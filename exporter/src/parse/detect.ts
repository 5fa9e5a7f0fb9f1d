import type { GatewayFormat } from '../types';

/**
 * Tells a gateway's lines apart by the keys only that gateway writes. Cheap: top-level key checks only.
 * Returns undefined for JSON that none of the presets recognises.
 */
export function detectFormat(o: Record<string, unknown>): Exclude<GatewayFormat, 'generic'> | undefined {
  if ('startTime' in o && 'model' in o && ('call_type' in o || 'response_cost' in o || 'prompt_tokens' in o)) return 'litellm';
  const ai = o.ai;
  if (typeof ai === 'object' && ai !== null && ('proxy' in ai || 'ai-proxy' in ai) && 'started_at' in o) return 'kong';
  if ('genai_model_name' in o || 'genai_tokens_input' in o || 'gen_ai.request.model' in o || 'gen_ai.usage.input_tokens' in o) return 'envoy';
  return undefined;
}
