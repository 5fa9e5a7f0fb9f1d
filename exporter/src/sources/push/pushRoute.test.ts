import { formatRoute, PUSH_FORMATS } from './pushRoute';

const NO_REQUEST = { contentType: 'application/json' };

describe('formatRoute: POST /ingest/v1/<format>', () => {
  it('is one route per format the file sources read', () => {
    expect(PUSH_FORMATS).toEqual(['litellm', 'kong', 'envoy', 'generic']);
  });

  it('names its path, its endpoint label and its default source after the format', () => {
    const route = formatRoute('kong');
    expect([route.path, route.endpoint, route.defaultSource]).toEqual(['/ingest/v1/kong', 'kong', 'push:kong']);
    expect(route.mappings).toBeUndefined();
    expect('failure' in route).toBe(false); // answered in the push JSON, not in a protocol of its own
  });

  it("decodes a body into the route format's texts, refusing a record over the longest taken", () => {
    const body = Buffer.from(`[{"a":1},{"a":"${'x'.repeat(20)}"}]`);
    const decoded = formatRoute('litellm').decode(body, NO_REQUEST, { maxRecordBytes: 10 });
    expect(decoded.format).toBe('litellm');
    expect(decoded.texts.map((t) => [t.text, t.tooLong])).toEqual([
      ['{"a":1}', false],
      ['', true],
    ]);
    expect(decoded.skipped).toBeUndefined();
    expect(decoded.answer).toBeUndefined();
  });
});
