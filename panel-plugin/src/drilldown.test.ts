import { resolveDrilldown, rowDrilldown, variableQuery } from './drilldown';

describe('resolveDrilldown', () => {
  it.each([
    ['auto', true, 'user', 'links'],
    ['auto', false, 'user', 'variable'],
    ['auto', false, '', 'none'],
    ['links', true, 'user', 'links'],
    ['links', false, 'user', 'none'],
    ['variable', true, 'user', 'variable'],
    ['variable', false, '', 'none'],
    ['none', true, 'user', 'none'],
  ] as const)('%s with links=%p and variable %p → %s', (mode, hasLinks, variable, action) => {
    expect(resolveDrilldown(mode, hasLinks, variable)).toBe(action);
  });
});

describe('variableQuery', () => {
  it('names the URL parameter of the dashboard variable', () => {
    expect(variableQuery('user', 'maria.chen')).toEqual({ 'var-user': 'maria.chen' });
  });
});

describe('rowDrilldown', () => {
  it('keeps the action for a subject and drops it for rows that stand for many', () => {
    expect(rowDrilldown('variable', 'maria.chen')).toBe('variable');
    expect(rowDrilldown('variable', 'Everyone else')).toBe('none');
    expect(rowDrilldown('links', '__other__')).toBe('none');
  });
});
