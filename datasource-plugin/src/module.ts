import { DataSourcePlugin } from '@grafana/data';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import type { ChargebackOptions, ChargebackQuery } from './types';

export const plugin = new DataSourcePlugin<DataSource, ChargebackQuery, ChargebackOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
