import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { tempDir } from '../../exporter/test/helpers';
import { requireBinary } from '../../exporter/test/daemons';

/** The committed rule file: what Prometheus loads, and what these tests exercise. */
export const RULE_FILE = resolve(__dirname, '../rules/tokenledger.rules.yml');

export interface InputSeries {
  series: string;
  values: string;
}

export interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

/** At `eval_time`, exactly `exp_alerts` of `alertname` are firing (pending ones are not listed). */
export interface AlertCheck {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpectedAlert[];
}

/** At `eval_time`, `expr` returns exactly `exp_samples` (labels as a series selector text, see {@link series}). */
export interface ExpressionCheck {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

export interface RuleTestCase {
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: AlertCheck[];
  promql_expr_test?: ExpressionCheck[];
}

/** Runs one `promtool test rules` case against `ruleFile`; returns its exit status and output. */
export function promtoolTest(testCase: RuleTestCase, ruleFile = RULE_FILE): { status: number | null; output: string } {
  requireBinary('promtool', 'prometheus');
  const file = join(tempDir('tl-promtool-'), 'test.yml');
  writeFileSync(
    file,
    stringify({ rule_files: [ruleFile], evaluation_interval: '1m', tests: [testCase] }, { lineWidth: 0 })
  );
  const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** `promtool check rules FILE`. */
export function promtoolCheck(ruleFile: string): { status: number | null; output: string } {
  requireBinary('promtool', 'prometheus');
  const r = spawnSync('promtool', ['check', 'rules', ruleFile], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A series selector text: `name{a="b",...}`. */
export function series(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
}
