/**
 * Browser harness: mounts the BUILT panel (dist/module.js, an AMD module) the way Grafana does, inside
 * Grafana's own theme context, global styles and panel chrome, with sample frames processed by the panel's
 * field config. The page is chosen by the query string: ?scenario=chargeback&theme=dark&width=640&height=420.
 */
import * as emotionCss from '@emotion/css';
import * as grafanaData from '@grafana/data';
import {
  EventBusSrv,
  LoadingState,
  ThemeContext,
  createTheme,
  getDefaultTimeRange,
  type DataFrame,
  type PanelPlugin,
  type PanelProps,
} from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import { GlobalStyles, PanelChrome } from '@grafana/ui';
import * as React from 'react';
import { createRoot } from 'react-dom/client';

import { chargebackBudgetsFrame, chargebackDailyFrame, prometheusMatrixFrames } from '../../src/__fixtures__/frames';
import { processFrames } from '../../src/__fixtures__/grafana';
import type { TopUsersOptions } from '../../src/types';

/** What Grafana hands an AMD plugin for each external it imports (see .config/bundler/externals.ts). */
const sharedModules: Record<string, unknown> = {
  '@emotion/css': emotionCss,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  react: React,
  module: { uri: '/dist/module.js' },
};

interface Scenario {
  title: string;
  frames: () => DataFrame[];
  options: Partial<TopUsersOptions>;
}

const scenarios: Record<string, Scenario> = {
  chargeback: {
    title: 'Top users by cost',
    frames: () => [chargebackDailyFrame(), chargebackBudgetsFrame()],
    options: { calculation: 'sum', limit: 6 },
  },
  prometheus: { title: 'Top users (Prometheus topk)', frames: () => prometheusMatrixFrames(5), options: {} },
  empty: { title: 'Top users by cost', frames: () => [], options: {} },
};

function loadBuiltPlugin(): Promise<PanelPlugin<TopUsersOptions>> {
  return new Promise((resolve, reject) => {
    const define = (deps: string[], factory: (...modules: unknown[]) => { plugin: PanelPlugin<TopUsersOptions> }) => {
      const missing = deps.filter((dep) => !(dep in sharedModules));
      if (missing.length) {
        reject(new Error(`dist/module.js imports modules Grafana does not share here: ${missing.join(', ')}`));
        return;
      }
      resolve(factory(...deps.map((dep) => sharedModules[dep])).plugin);
    };
    Object.assign(window, { define: Object.assign(define, { amd: {} }) });
    const script = document.createElement('script');
    script.src = '/dist/module.js';
    script.onerror = () => reject(new Error('could not load /dist/module.js'));
    document.head.appendChild(script);
  });
}

function Harness({
  plugin,
  scenario,
  mode,
  width,
  height,
}: {
  plugin: PanelPlugin<TopUsersOptions>;
  scenario: Scenario;
  mode: 'light' | 'dark';
  width: number;
  height: number;
}) {
  const theme = React.useMemo(() => createTheme({ colors: { mode } }), [mode]);
  const series = React.useMemo(() => processFrames(scenario.frames(), plugin, theme), [plugin, scenario, theme]);
  const Panel = plugin.panel as React.ComponentType<PanelProps<TopUsersOptions>>;
  React.useEffect(() => {
    // Two frames: React has committed and the browser has laid out what it committed.
    requestAnimationFrame(() => requestAnimationFrame(() => (document.body.dataset.harness = 'ready')));
  }, []);
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div
        id="panel"
        style={{ width, height, padding: 8, background: theme.colors.background.canvas, boxSizing: 'content-box' }}
      >
        <PanelChrome title={scenario.title} width={width} height={height}>
          {(innerWidth, innerHeight) => (
            <Panel
              id={1}
              data={{ state: LoadingState.Done, series, timeRange: getDefaultTimeRange() }}
              timeRange={getDefaultTimeRange()}
              timeZone="utc"
              options={{ ...(plugin.defaults as TopUsersOptions), ...scenario.options }}
              fieldConfig={plugin.fieldConfigDefaults}
              transparent={false}
              width={innerWidth}
              height={innerHeight}
              renderCounter={0}
              title={scenario.title}
              eventBus={new EventBusSrv()}
              onOptionsChange={() => undefined}
              onFieldConfigChange={() => undefined}
              replaceVariables={(value: string) => value}
              onChangeTimeRange={() => undefined}
            />
          )}
        </PanelChrome>
      </div>
    </ThemeContext.Provider>
  );
}

async function main() {
  const params = new URLSearchParams(window.location.search);
  const scenario = scenarios[params.get('scenario') ?? 'chargeback'];
  if (!scenario) {
    throw new Error(`unknown scenario ${params.get('scenario')}`);
  }
  const plugin = await loadBuiltPlugin();
  createRoot(document.getElementById('root')!).render(
    <Harness
      plugin={plugin}
      scenario={scenario}
      mode={params.get('theme') === 'light' ? 'light' : 'dark'}
      width={Number(params.get('width') ?? 640)}
      height={Number(params.get('height') ?? 420)}
    />
  );
}

main().catch((error: unknown) => {
  document.body.dataset.harness = 'failed';
  console.error(error);
});
