import { BUDGET_GROUP } from './budgetRules';
import { EXPORTER_GROUP } from './exporterRules';
import type { AlertSpec, RecordingRuleSpec, RuleGroupSpec } from './model';

/** Every rule group, in the order the rendered files list them. */
export const RULE_GROUPS: readonly RuleGroupSpec[] = [BUDGET_GROUP, EXPORTER_GROUP];

export const ALERTS: readonly AlertSpec[] = RULE_GROUPS.flatMap((g) => g.alerts);
export const RECORDING_RULES: readonly RecordingRuleSpec[] = RULE_GROUPS.flatMap((g) => g.recording);
