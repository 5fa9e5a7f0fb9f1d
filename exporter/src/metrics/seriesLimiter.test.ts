import { OTHER, SeriesLimiter } from './seriesLimiter';

describe('SeriesLimiter', () => {
  it('admits the first N label sets and folds later ones, stably', () => {
    const limiter = new SeriesLimiter(2, [0]);
    const admit = (user: string, model: string) => limiter.admit([user, model], `${user}|${model}`);
    expect(admit('alice', 'm')).toEqual(['alice', 'm']);
    expect(admit('bob', 'm')).toEqual(['bob', 'm']);
    expect(admit('carol', 'm')).toEqual([OTHER, 'm']);
    // alice stays admitted on every later scrape, carol stays folded
    expect(admit('alice', 'm')).toEqual(['alice', 'm']);
    expect(admit('carol', 'm')).toEqual([OTHER, 'm']);
  });
});
