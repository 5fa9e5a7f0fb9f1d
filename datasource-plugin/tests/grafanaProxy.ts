import { request } from 'node:http';
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { Observable } from 'rxjs';
import plugin from '../src/plugin.json';

/**
 * What Grafana's data proxy does for this plugin, for tests against a real exporter: a request to
 * `/api/datasources/proxy/uid/<uid>/<route path>/<rest>` goes to `<route url>/<rest>` with the route's headers,
 * the route taken from src/plugin.json and its `{{ .JsonData.x }}` / `{{ .SecureJsonData.x }}` templates filled
 * from the data source's settings. Non-2xx answers become a FetchError, as Grafana's BackendSrv throws them; a
 * target that does not answer becomes Grafana's 502 Bad Gateway.
 *
 * Over node:http rather than fetch: Jest's jsdom environment (which @grafana/ui needs to load) has no fetch.
 */

export interface ProxiedDataSource {
  uid: string;
  jsonData: Record<string, string | undefined>;
  secureJsonData: Record<string, string | undefined>;
}

interface Route {
  path: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

const TEMPLATE = /\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g;

function render(template: string, ds: ProxiedDataSource): string {
  return template.replace(
    TEMPLATE,
    (_match, scope: string, key: string) => (scope === 'JsonData' ? ds.jsonData[key] : ds.secureJsonData[key]) ?? ''
  );
}

export function proxyUrl(uid: string): string {
  return `/api/datasources/proxy/uid/${uid}`;
}

const PROXY_PATH = /^\/api\/datasources\/proxy\/uid\/([^/]+)\/(.*)$/;

/** The exporter URL and headers Grafana would use for a browser request to `url`, for one of `dataSources`. */
export function proxiedRequest(
  url: string,
  dataSources: ProxiedDataSource[]
): { target: string; headers: Record<string, string> } {
  const [, uid, rest = ''] = PROXY_PATH.exec(url) ?? [];
  const ds = dataSources.find((d) => d.uid === uid);
  if (!ds) {
    throw new Error(`${url} does not go through the proxy of a known data source`);
  }
  const route = (plugin.routes as Route[]).find(
    (r) => rest === r.path || rest.startsWith(`${r.path}/`) || rest.startsWith(`${r.path}?`)
  );
  if (!route) {
    throw new Error(`no plugin.json route matches ${url}`);
  }
  const headers = Object.fromEntries((route.headers ?? []).map((h) => [h.name, render(h.content, ds)]));
  return { target: `${render(route.url, ds).replace(/\/$/, '')}${rest.slice(route.path.length)}`, headers };
}

export interface HttpAnswer {
  status: number;
  statusText: string;
  body: string;
}

/** One GET over node:http. */
export function httpGet(target: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    request(target, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body }));
    })
      .on('error', reject)
      .end();
  });
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/**
 * Grafana's BackendSrv for these data sources: fetch goes through `proxiedRequest`. The data source only uses
 * fetch, so the rest of the interface is left out (hence the cast).
 */
export function proxyBackendSrv(dataSources: ProxiedDataSource[]): BackendSrv {
  const fetch = <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> =>
    new Observable((subscriber) => {
      const { target, headers } = proxiedRequest(options.url, dataSources);
      httpGet(target, headers).then(
        ({ status, statusText, body }) => {
          const data = parse(body);
          if (status < 200 || status > 299) {
            const error: FetchError = { status, statusText, data, config: options };
            subscriber.error(error);
            return;
          }
          const response = {
            status,
            statusText,
            ok: true,
            data: data as T,
            headers: new Headers(),
            redirected: false,
            type: 'basic',
            url: options.url,
            config: options,
          };
          subscriber.next(response as FetchResponse<T>);
          subscriber.complete();
        },
        () => {
          const error: FetchError = {
            status: 502,
            statusText: 'Bad Gateway',
            data: { message: 'Bad Gateway' },
            config: options,
          };
          subscriber.error(error);
        }
      );
    });
  return { fetch } as unknown as BackendSrv;
}
