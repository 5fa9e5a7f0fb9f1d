import { AuthConfig, hashToken, OPEN_AUTH } from '../../auth/apiTokens';
import { checkCaller } from './callers';

const tokens: AuthConfig['tokens'] = [
  { name: 'envoy', sha256: Buffer.from(hashToken('envoy-secret'), 'hex'), role: 'ingest', scope: undefined },
  { name: 'ops', sha256: Buffer.from(hashToken('admin-secret'), 'hex'), role: 'admin', scope: undefined },
  { name: 'ml', sha256: Buffer.from(hashToken('ml-secret'), 'hex'), role: 'scoped', scope: { team: 'ml' } },
];

describe('who may ask the ext_authz doors', () => {
  it('anyone while no token is configured', () => {
    expect(checkCaller(OPEN_AUTH, undefined)).toEqual({ allowed: true });
  });

  it('once tokens are configured, an ingest or admin token, also when the API itself is open', () => {
    for (const api of ['required', 'open'] as const) {
      const auth: AuthConfig = { tokens, api, metrics: 'open' };
      expect(checkCaller(auth, undefined)).toMatchObject({ allowed: false, status: 401 });
      expect(checkCaller(auth, 'Bearer wrong')).toMatchObject({ allowed: false, status: 401 });
      expect(checkCaller(auth, 'Bearer ml-secret')).toMatchObject({ allowed: false, status: 403 });
      expect(checkCaller(auth, 'Bearer envoy-secret')).toEqual({ allowed: true });
      expect(checkCaller(auth, 'Bearer admin-secret')).toEqual({ allowed: true });
    }
  });
});
