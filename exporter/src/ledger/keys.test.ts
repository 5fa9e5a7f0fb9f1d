import { apiKeyLabel, recordKey } from './keys';

describe('recordKey', () => {
  it('is the source and the request id: the same request from any file of a source is one key', () => {
    expect(recordKey('litellm', 'req-1')).toBe('litellm:req-1');
    expect(recordKey('litellm', 'req-1')).not.toBe(recordKey('kong', 'req-1'));
  });
});

describe('apiKeyLabel', () => {
  it("is the key's alias when it has one", () => {
    expect(apiKeyLabel({ apiKeyAlias: 'team-a-prod', apiKeyId: 'abcdef0123456789abcdef' })).toBe('team-a-prod');
  });

  it("else the first 12 characters of the key's hash or id, never all of it", () => {
    expect(apiKeyLabel({ apiKeyAlias: undefined, apiKeyId: 'abcdef0123456789abcdef' })).toBe('abcdef012345');
    expect(apiKeyLabel({ apiKeyAlias: undefined, apiKeyId: 'short' })).toBe('short');
  });

  it('else unknown', () => {
    expect(apiKeyLabel({ apiKeyAlias: undefined, apiKeyId: undefined })).toBe('unknown');
  });
});
