import React, { ChangeEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { InlineField, Input, SecretInput, Stack } from '@grafana/ui';
import type { ChargebackOptions, ChargebackSecureOptions } from '../types';

type Props = DataSourcePluginOptionsEditorProps<ChargebackOptions, ChargebackSecureOptions>;

/**
 * The exporter URL (jsonData) and the API token (secureJsonData: Grafana keeps it server-side and the
 * plugin.json route adds it as `Authorization: Bearer …`; the browser only learns whether it is set).
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields, secureJsonData } = options;

  const onUrlChange = (event: ChangeEvent<HTMLInputElement>) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, url: event.target.value.trim() } });

  const onTokenChange = (event: ChangeEvent<HTMLInputElement>) =>
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, apiToken: event.target.value } });

  const onTokenReset = () =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, apiToken: false },
      secureJsonData: { ...secureJsonData, apiToken: '' },
    });

  return (
    <Stack direction="column" gap={0}>
      <InlineField
        label="Exporter URL"
        labelWidth={16}
        tooltip="Where Grafana's server reaches `tokenledger serve`, e.g. http://tokenledger:9464"
        required
      >
        <Input
          id="config-editor-url"
          value={jsonData.url ?? ''}
          placeholder="http://tokenledger:9464"
          width={40}
          onChange={onUrlChange}
        />
      </InlineField>
      <InlineField
        label="API token"
        labelWidth={16}
        tooltip="A token from the exporter's auth.tokens; leave empty if its API is open"
      >
        <SecretInput
          id="config-editor-api-token"
          isConfigured={Boolean(secureJsonFields?.apiToken)}
          value={secureJsonData?.apiToken ?? ''}
          placeholder="API token"
          width={40}
          onReset={onTokenReset}
          onChange={onTokenChange}
        />
      </InlineField>
    </Stack>
  );
}
