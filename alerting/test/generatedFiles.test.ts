import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { tempDir } from '../../exporter/test/helpers';
import { DEFAULT_OPTIONS, GENERATED_PATHS, generatedFiles } from '../src/generatedFiles';
import { alerts, recordingRules } from '../src/ruleGroups';
import { promtoolCheck } from './promtool';

/** The committed files are what the one rule source generates, and the generated forms agree with each other. */

const REPO = resolve(__dirname, '../..');
const ALERTS = alerts(DEFAULT_OPTIONS);
const RECORDING_RULES = recordingRules(DEFAULT_OPTIONS);
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

interface GrafanaQuery {
  refId: string;
  datasourceUid: string;
  model: { expr?: string; expression?: string };
}
interface GrafanaRule {
  title: string;
  condition: string;
  data: GrafanaQuery[];
  annotations: Record<string, string>;
  labels: Record<string, string>;
  notification_settings?: { receiver: string; group_by: string[] };
}

describe('generated alerting files', () => {
  it.each(Object.keys(generatedFiles()))('%s is up to date (npm run alerting:generate)', (path) => {
    expect(read(path)).toBe(generatedFiles()[path]);
  });

  it("the PrometheusRule resource holds exactly the rule file's groups", () => {
    const ruleFile = parse(read(GENERATED_PATHS.ruleFile)) as { groups: unknown[] };
    const resource = parse(read(GENERATED_PATHS.prometheusRule)) as { kind: string; spec: { groups: unknown[] } };
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.spec.groups).toEqual(ruleFile.groups);
    expect(ruleFile.groups.length).toBeGreaterThan(0);
  });

  it('the rule file passes promtool check rules', () => {
    const r = promtoolCheck(join(REPO, GENERATED_PATHS.ruleFile));
    expect(r.output).toContain(`SUCCESS: ${RECORDING_RULES.length + ALERTS.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('link bases are parameters', () => {
    const files = generatedFiles({
      ...DEFAULT_OPTIONS,
      grafanaUrl: 'https://grafana.example.org/',
      runbookUrl: 'https://wiki.example.org/runbooks',
    });
    const text = files[GENERATED_PATHS.ruleFile]!;
    expect(text).toContain('https://grafana.example.org/d/tokenledger-budgets/tokenledger-budgets?var-scope=');
    expect(text).toContain('https://wiki.example.org/runbooks/TokenLedgerBudgetExceeded.md');
    expect(text).not.toContain(DEFAULT_OPTIONS.grafanaUrl);
  });
});

describe('Grafana-managed alert rules', () => {
  const provisioned = parse(read(GENERATED_PATHS.grafanaRules)) as { groups: { rules: GrafanaRule[] }[] };
  const rules = provisioned.groups.flatMap((g) => g.rules);

  it('define every alert, labelled like the Prometheus rules', () => {
    expect(rules.map((r) => r.title)).toEqual(ALERTS.map((a) => a.alert));
    for (const [i, a] of ALERTS.entries())
      expect(rules[i]!.labels).toEqual({ severity: a.severity, component: a.component });
  });

  it('query the tokenledger-prometheus datasource with valid PromQL that needs no recording rules', () => {
    const queries = rules.flatMap((r) => r.data.filter((q) => q.datasourceUid !== '__expr__'));
    for (const q of queries) {
      expect(q.datasourceUid).toBe('tokenledger-prometheus');
      expect(q.model.expr).not.toMatch(/tokenledger:/);
    }
    // promtool parses each query as a recording rule's expression
    const file = join(tempDir('tl-grafana-'), 'queries.yml');
    writeFileSync(
      file,
      stringify({
        groups: [
          {
            name: 'grafana-queries',
            rules: queries.map((q, i) => ({ record: `grafana_query_${i}`, expr: q.model.expr })),
          },
        ],
      })
    );
    const r = promtoolCheck(file);
    expect(r.output).toContain(`SUCCESS: ${queries.length} rules found`);
  });

  it('fire on their query A and template only values of queries they have', () => {
    for (const r of rules) {
      const condition = r.data.find((q) => q.refId === r.condition);
      expect(condition?.model.expression).toBe('$A == $A');
      const refIds = r.data.map((q) => q.refId);
      for (const [, ref] of JSON.stringify(r.annotations).matchAll(/\$values\.(\w+)\.Value/g))
        expect(refIds).toContain(ref);
    }
  });

  it('send to the external Alertmanager through the provisioned contact point, each rule routing itself', () => {
    const contactPoints = parse(read(GENERATED_PATHS.grafanaContactPoints)) as {
      contactPoints: { name: string; receivers: { type: string; settings: { url: string } }[] }[];
    };
    const [point] = contactPoints.contactPoints;
    expect(point!.receivers).toEqual([
      expect.objectContaining({ type: 'prometheus-alertmanager', settings: { url: 'http://alertmanager:9093' } }),
    ]);
    for (const r of rules)
      expect([r.title, r.notification_settings]).toEqual([
        r.title,
        expect.objectContaining({ receiver: point!.name, group_by: ['...'] }),
      ]);
  });
});

describe('Grafana notification policies', () => {
  const generated = Object.keys(generatedFiles());

  it("provisioning/alerting/ holds only generated files, none of which sets or resets the org's policy tree", () => {
    const dir = 'provisioning/alerting';
    const files = readdirSync(join(REPO, dir))
      .map((f) => `${dir}/${f}`)
      .sort();
    expect(files).toEqual(generated.filter((p) => p.startsWith(`${dir}/`)).sort());
    for (const f of files) {
      const doc = parse(read(f)) as Record<string, unknown>;
      expect([f, Object.keys(doc).filter((k) => k === 'policies' || k === 'resetPolicies')]).toEqual([f, []]);
    }
  });

  it('the policy tree is an opt-in file outside provisioning/, whose header says it replaces the whole tree', () => {
    expect(GENERATED_PATHS.grafanaPolicies.startsWith('provisioning/')).toBe(false);
    const text = read(GENERATED_PATHS.grafanaPolicies);
    const contactPoints = parse(read(GENERATED_PATHS.grafanaContactPoints)) as { contactPoints: { name: string }[] };
    const policies = parse(text) as { policies: { receiver: string }[] };
    expect(policies.policies.map((p) => p.receiver)).toEqual([contactPoints.contactPoints[0]!.name]);
    const header = text.slice(0, text.indexOf('apiVersion:'));
    expect(header).toMatch(/REPLACES the organisation's ENTIRE Grafana notification policy tree/);
    expect(header).toContain('To merge');
  });
});

describe('documentation', () => {
  it('has a runbook for each alert, and none for alerts that do not exist', () => {
    const runbooks = readdirSync(join(REPO, 'alerting/runbooks')).sort();
    expect(runbooks).toEqual(ALERTS.map((a) => `${a.alert}.md`).sort());
    for (const a of ALERTS) expect(read(`alerting/runbooks/${a.alert}.md`)).toMatch(new RegExp(`^# ${a.alert}\\n`));
  });

  it('alerting/README.md lists every recording rule and alert', () => {
    const readme = read('alerting/README.md');
    for (const name of [...RECORDING_RULES.map((r) => r.record), ...ALERTS.map((a) => a.alert)])
      expect(readme).toContain(`\`${name}\``);
  });
});
