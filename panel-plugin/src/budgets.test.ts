import { budgetLabel, hasIdentity, labelRows, rowKey } from './budgets';
import type { SubjectSamples } from './types';

const row = (subject: string, budget?: SubjectSamples['budget']): SubjectSamples => ({
  key: rowKey(subject, budget),
  subject,
  label: subject,
  budget,
  metrics: {},
});

describe('rowKey', () => {
  it('is the subject alone when nothing identifies a budget, as before', () => {
    expect(rowKey('eng', undefined)).toBe('eng');
    expect(rowKey('eng', {})).toBe('eng');
    expect(hasIdentity({})).toBe(false);
  });

  it('tells apart two budgets of one subject, and one name in two scopes', () => {
    const keys = [
      rowKey('eng', { scope: 'team', period: 'monthly' }),
      rowKey('eng', { scope: 'team', period: 'daily' }),
      rowKey('ann', { scope: 'user', period: 'weekly' }),
      rowKey('ann', { scope: 'team', period: 'weekly' }),
      rowKey('eng', undefined),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('budgetLabel and labelRows', () => {
  it('names the period after the subject', () => {
    expect(budgetLabel('eng', { scope: 'team', period: 'monthly' }, false)).toBe('eng — monthly');
    expect(budgetLabel('eng', undefined, false)).toBe('eng');
  });

  it('names the scope only for subjects with budgets in several scopes, and never repeats the subject', () => {
    const labelled = labelRows([
      row('eng', { scope: 'team', period: 'monthly' }),
      row('eng', { scope: 'team', period: 'daily' }),
      row('ann', { scope: 'user', period: 'weekly' }),
      row('ann', { scope: 'team', period: 'weekly' }),
      row('global', { scope: 'global', period: 'monthly' }),
      row('maria.chen'),
    ]);
    expect(labelled.map((r) => r.label)).toEqual([
      'eng — monthly',
      'eng — daily',
      'ann (user) — weekly',
      'ann (team) — weekly',
      'global — monthly',
      'maria.chen',
    ]);
  });
});
