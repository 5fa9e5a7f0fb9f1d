import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { tempDir } from '../../exporter/test/helpers';
import { alerts } from '../src/ruleGroups';
import { ALERTMANAGER_CONFIG, amtool } from './amtool';

/** alerting/alertmanager.yml: valid for amtool, routes each severity to its receiver, inhibits only rule alerts that exist. */

describe('alertmanager.yml', () => {
  it('passes amtool check-config', () => {
    const r = amtool(['check-config', ALERTMANAGER_CONFIG]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('is refused by amtool check-config when broken (the check can fail)', () => {
    const broken = join(tempDir('tl-am-'), 'alertmanager.yml');
    writeFileSync(
      broken,
      readFileSync(ALERTMANAGER_CONFIG, 'utf8').replace('receiver: tokenledger-slack', 'receiver: no-such-receiver')
    );
    expect(amtool(['check-config', broken]).status).not.toBe(0);
  });

  it.each([
    { severity: 'exceeded', receiver: 'tokenledger-oncall' },
    { severity: 'critical', receiver: 'tokenledger-slack' },
    { severity: 'warning', receiver: 'tokenledger-email' },
  ])('routes severity=$severity to $receiver', ({ severity, receiver }) => {
    const r = amtool([
      'config',
      'routes',
      'test',
      `--config.file=${ALERTMANAGER_CONFIG}`,
      `--verify.receivers=${receiver}`,
      `severity=${severity}`,
      'scope=team',
      'subject=engineering',
      'period=monthly',
    ]);
    expect(r.stdout.trim()).toBe(receiver);
    expect(r.status).toBe(0);
  });

  it('routes every severity the rules use to a dedicated route', () => {
    const config = parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8')) as { route: { routes: { matchers: string[] }[] } };
    const routed = config.route.routes.flatMap((r) => r.matchers);
    for (const severity of new Set(alerts().map((a) => a.severity))) expect(routed).toContain(`severity="${severity}"`);
  });

  it('inhibits by alert names the rules define, for the same budget', () => {
    const config = parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8')) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    const names = new Set(alerts().map((a) => a.alert));
    for (const rule of config.inhibit_rules) {
      expect(rule.equal).toEqual(['scope', 'subject', 'period']);
      for (const matcher of [...rule.source_matchers, ...rule.target_matchers]) {
        const alternatives = /^alertname=~?"(.*)"$/.exec(matcher)![1]!.split('|');
        for (const name of alternatives) expect(names).toContain(name);
      }
    }
  });
});
