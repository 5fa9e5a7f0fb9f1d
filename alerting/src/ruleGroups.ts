import { BUDGET_GROUP } from './budgetRules';
import { DEFAULT_EXPORTER_JOB, exporterGroup } from './exporterRules';
import type { AlertSpec, RecordingRuleSpec, RuleGroupSpec, RuleOptions } from './model';
import { USAGE_GROUP } from './usageRules';

export const DEFAULT_RULE_OPTIONS: RuleOptions = { exporterJob: DEFAULT_EXPORTER_JOB };

/** Every rule group, in the order the rendered files list them. Throws on an invalid option (a clear message). */
export function ruleGroups(options: RuleOptions = DEFAULT_RULE_OPTIONS): readonly RuleGroupSpec[] {
  return [BUDGET_GROUP, USAGE_GROUP, exporterGroup(options.exporterJob)];
}

export function alerts(options: RuleOptions = DEFAULT_RULE_OPTIONS): readonly AlertSpec[] {
  return ruleGroups(options).flatMap((g) => g.alerts);
}

export function recordingRules(options: RuleOptions = DEFAULT_RULE_OPTIONS): readonly RecordingRuleSpec[] {
  return ruleGroups(options).flatMap((g) => g.recording);
}
