import { isFetchError } from '@grafana/runtime';
import type { ApiErrorBody, StatusResponse } from './types';

function apiError(data: unknown): ApiErrorBody | undefined {
  if (typeof data === 'object' && data !== null && typeof (data as ApiErrorBody).error === 'string') {
    return data as ApiErrorBody;
  }
  return undefined;
}

/**
 * What to tell the user about a failed API call: the API's own message (`{"error": "from: …"}`) when it
 * sent one, with what the status means for 401 and for an exporter Grafana's proxy cannot reach.
 */
export function apiErrorMessage(err: unknown): string {
  if (!isFetchError(err)) {
    return err instanceof Error ? err.message : String(err);
  }
  const body = apiError(err.data);
  if (err.status === 401) {
    return `The exporter refused the API token (401): ${body?.error ?? 'unauthorized'}`;
  }
  if (body) {
    return body.error;
  }
  if (err.status === 0 || err.status === 502 || err.status === 504) {
    return `Cannot reach the exporter (${err.status || 'no response'}${err.statusText ? ` ${err.statusText}` : ''}): check the URL and that \`tokenledger serve\` is running`;
  }
  return `The exporter answered ${err.status}${err.statusText ? ` ${err.statusText}` : ''}`;
}

function day(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** The "Save & test" message for a reachable exporter. */
export function statusMessage(status: StatusResponse): string {
  if (status.records === 0 || !status.firstRecord || !status.lastRecord) {
    return 'Connected to TokenLedger; the ledger holds no records yet.';
  }
  return `Connected to TokenLedger: ${status.records.toLocaleString('en-US')} records from ${day(status.firstRecord)} to ${day(status.lastRecord)}.`;
}
