import type { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { Observable, of, throwError } from 'rxjs';

export type Reply = { status: number; data: unknown };

/**
 * A BackendSrv whose fetch answers from `reply(url)` and records every URL. The data source only calls
 * fetch, so the other methods of the interface are left out (hence the cast).
 */
export function fakeBackendSrv(reply: (url: string) => Reply) {
  const urls: string[] = [];
  const fetch = (options: BackendSrvRequest): Observable<FetchResponse> => {
    urls.push(options.url);
    const { status, data } = reply(options.url);
    if (status >= 400) {
      return throwError(() => ({ status, statusText: '', data, config: options }));
    }
    return of({
      status,
      data,
      ok: true,
      statusText: 'OK',
      headers: new Headers(),
      redirected: false,
      type: 'basic',
      url: options.url,
      config: options,
    } as FetchResponse);
  };
  return { backendSrv: { fetch } as unknown as BackendSrv, urls };
}
