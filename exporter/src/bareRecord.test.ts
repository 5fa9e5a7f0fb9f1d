import { bareRecord } from './bareRecord';

describe('bareRecord', () => {
  it('inherits nothing: Object.prototype names are absent, and own members when set', () => {
    const r = bareRecord<string>();
    for (const name of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      expect(r[name]).toBeUndefined();
      expect(name in r).toBe(false);
    }
    r['__proto__'] = 'a';
    r['constructor'] = 'b';
    r['x-user-id'] = 'c';
    expect(Object.keys(r)).toEqual(['__proto__', 'constructor', 'x-user-id']);
    expect(r['__proto__']).toBe('a');
    expect(JSON.stringify(r)).toBe('{"__proto__":"a","constructor":"b","x-user-id":"c"}');
  });

  it('is a record of its own: what one holds, another does not see', () => {
    const a = bareRecord<number>();
    a.n = 1;
    expect(bareRecord<number>().n).toBeUndefined();
    // Its prototype cannot be given members either.
    expect(() => {
      (Object.getPrototypeOf(a) as Record<string, number>).n = 2;
    }).toThrow(TypeError);
  });
});
