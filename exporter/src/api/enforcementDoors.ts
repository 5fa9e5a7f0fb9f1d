import express, { NextFunction, Request, Response, Router } from 'express';
import { AuthConfig, decisionRefusal } from '../auth/apiTokens';
import type { CheckRequest, Decider, Decision } from '../enforcement/decider';
import { SUBJECT_HEADERS } from '../enforcement/subject';
import type { Logger } from '../log';

/** Bodies a door reads: a chat request's JSON (the check door) or LiteLLM's guardrail payload with its texts. */
const MAX_BODY = '10mb';

/**
 * Where LiteLLM's Generic Guardrail API posts: it appends `/beta/litellm_basic_guardrail_api` to the configured
 * api_base (BerriAI/litellm litellm/proxy/guardrails/guardrail_hooks/generic_guardrail_api/generic_guardrail_api.py,
 * __init__), so `api_base: http://tokenledger:9464/guardrails/litellm` lands here.
 */
export const LITELLM_GUARDRAIL_PATH = '/guardrails/litellm/beta/litellm_basic_guardrail_api';

export interface DoorDeps {
  decider: Decider;
  auth: () => AuthConfig;
  log: Logger;
}

class DoorError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

/**
 * Who may ask for decisions: anyone while the API is open, else an admin token. (An `ingest` token, for
 * gateways, is added with the push endpoints' role.) `Authorization: Bearer <token>`, or `x-api-key: <token>`
 * as LiteLLM sends its guardrail `api_key`.
 */
function authorize(req: Request, auth: AuthConfig): void {
  const header =
    req.headers.authorization ?? (req.headers['x-api-key'] ? `Bearer ${String(req.headers['x-api-key'])}` : undefined);
  const refusal = decisionRefusal(header, auth);
  if (refusal) throw new DoorError(refusal.status, refusal.error);
}

function stringHeaders(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new DoorError(400, `${field}: expected an object of header names to strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new DoorError(400, `${field}.${k}: expected a string`);
    out[k.toLowerCase()] = v;
  }
  return out;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw new DoorError(400, `${field}: expected a non-empty string`);
  return value;
}

function jsonObject(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b))
    throw new DoorError(400, 'expected a JSON object (Content-Type: application/json)');
  return b as Record<string, unknown>;
}

/**
 * `POST /api/v1/check`: `{ "request_id": "...", "headers": { ... }, "body": { "model": ..., "max_tokens": ... } }`
 * as the gateway saw the request. Answered with the decision's status (200, 429, 503) and headers, and
 * `{ "decision", "reason", "headers" }`, so a gateway can forward either.
 */
function checkRequestOf(b: Record<string, unknown>): CheckRequest {
  for (const k of Object.keys(b))
    if (!['request_id', 'headers', 'body'].includes(k))
      throw new DoorError(400, `${k}: unknown field; expected request_id, headers, body`);
  const headers = stringHeaders(b.headers, 'headers');
  return { requestId: optionalString(b.request_id, 'request_id') ?? headers['x-request-id'], headers, body: b.body };
}

/**
 * LiteLLM's GenericGuardrailAPIRequest (BerriAI/litellm litellm/types/proxy/guardrails/guardrail_hooks/
 * generic_guardrail_api.py): `input_type` request|response, `litellm_call_id`, `model` (newer versions),
 * `request_data` with the key's user_api_key_hash, _alias, _user_id, _team_id, _team_alias, _end_user_id.
 * The identity becomes the headers the decision reads (enforcement/subject.ts); the texts are never read.
 */
function litellmCheckRequest(b: Record<string, unknown>): CheckRequest {
  const data = (b.request_data ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const headers: Record<string, string | undefined> = {
    [SUBJECT_HEADERS.apiKeyId]: str(data.user_api_key_hash),
    [SUBJECT_HEADERS.apiKeyAlias]: str(data.user_api_key_alias),
    [SUBJECT_HEADERS.user]: str(data.user_api_key_user_id),
    // The LiteLLM preset reads the team alias first, then the id (parse/presets.ts): the same here.
    [SUBJECT_HEADERS.team]: str(data.user_api_key_team_alias) ?? str(data.user_api_key_team_id),
  };
  const params = (b.additional_provider_specific_params ?? {}) as Record<string, unknown>;
  return {
    requestId: str(b.litellm_call_id),
    headers,
    // max_tokens is not in LiteLLM's payload; a guardrail's dynamic params (extra_body) may carry it.
    body: { model: str(b.model), max_tokens: params.max_tokens },
  };
}

function send(res: Response, d: Decision): void {
  for (const [k, v] of Object.entries(d.headers)) res.setHeader(k, v);
  res.status(d.status).json({ decision: d.kind, reason: d.reason, headers: d.headers });
}

/** The enforcement doors on serve's listen address: the plain check and LiteLLM's guardrail. */
export function enforcementDoors(deps: DoorDeps): Router {
  const doors = Router();
  const json = express.json({ limit: MAX_BODY });

  doors.post('/api/v1/check', json, async (req, res) => {
    authorize(req, deps.auth());
    send(res, await deps.decider.check(checkRequestOf(jsonObject(req))));
  });

  doors.post(LITELLM_GUARDRAIL_PATH, json, async (req, res) => {
    authorize(req, deps.auth());
    const b = jsonObject(req);
    // Spend is decided before the call; the response-side hook has nothing to decide.
    if (b.input_type !== 'request') {
      res.json({ action: 'NONE' });
      return;
    }
    const d = await deps.decider.check(litellmCheckRequest(b));
    // LiteLLM reads the answer's JSON only (any non-2xx is a guardrail failure): BLOCKED carries the reason.
    res.json(d.kind === 'block' ? { action: 'BLOCKED', blocked_reason: d.reason } : { action: 'NONE' });
  });

  doors.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof DoorError) {
      if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="tokenledger"');
      res.status(err.status).json({ error: err.message });
      return;
    }
    const parseError = err as { type?: string; status?: number };
    if (parseError.type === 'entity.parse.failed' || parseError.type === 'entity.too.large') {
      res.status(parseError.status ?? 400).json({
        error: parseError.type === 'entity.too.large' ? `body larger than ${MAX_BODY}` : 'body is not valid JSON',
      });
      return;
    }
    deps.log.error(`enforcement door error: ${(err as Error).stack ?? String(err)}`);
    res.status(500).json({ error: 'internal error; see the exporter log' });
  });
  return doors;
}
