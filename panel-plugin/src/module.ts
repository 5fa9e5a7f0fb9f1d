import { PanelPlugin } from '@grafana/data';

import { TopUsersPanel } from './components/TopUsersPanel';
import { migrationHandler } from './migrations';
import { buildOptions, fieldConfig } from './options';
import type { TopUsersOptions } from './types';

export const plugin = new PanelPlugin<TopUsersOptions>(TopUsersPanel)
  .useFieldConfig(fieldConfig)
  .setPanelOptions(buildOptions)
  .setMigrationHandler(migrationHandler);
