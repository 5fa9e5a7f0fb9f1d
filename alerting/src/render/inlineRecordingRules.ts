import type { RecordingRuleSpec } from '../model';

/** A PromQL string literal (left as it is: a label value may contain `tokenledger:`), or a recorded name. */
const STRING_OR_RECORDED_NAME = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|tokenledger:[a-zA-Z0-9_:]+/g;

/**
 * Replaces each recording-rule name in `expr` by its (parenthesised) expression, so a query works on a
 * Prometheus that does not load the rule file (Grafana-managed alerts). Unknown names are an error.
 */
export function inlineRecordingRules(expr: string, records: readonly RecordingRuleSpec[]): string {
  return expr.replace(STRING_OR_RECORDED_NAME, (name) => {
    if (!name.startsWith('tokenledger:')) return name;
    const rule = records.find((r) => r.record === name);
    if (!rule) throw new Error(`${expr}: no recording rule named ${name}`);
    return `(${inlineRecordingRules(rule.expr, records)})`;
  });
}
