import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import type { DataSourceSettings } from '@grafana/data';
import { ConfigEditor } from './ConfigEditor';
import type { ChargebackOptions, ChargebackSecureOptions } from '../types';

function settings(overrides: Partial<DataSourceSettings<ChargebackOptions, ChargebackSecureOptions>> = {}) {
  // The editor reads jsonData, secureJsonData and secureJsonFields; the other settings are Grafana's.
  return {
    jsonData: { url: 'http://tokenledger:9464' },
    secureJsonFields: {},
    secureJsonData: {},
    ...overrides,
  } as unknown as DataSourceSettings<ChargebackOptions, ChargebackSecureOptions>;
}

describe('ConfigEditor', () => {
  it('edits the exporter URL in jsonData', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onOptionsChange} />);
    const url = screen.getByLabelText(/Exporter URL/);
    expect(url).toHaveValue('http://tokenledger:9464');
    fireEvent.change(url, { target: { value: ' http://127.0.0.1:9464 ' } });
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ jsonData: { url: 'http://127.0.0.1:9464' } })
    );
  });

  it('keeps the token in secureJsonData only', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByLabelText(/API token/), { target: { value: 's3cret' } });
    const saved = onOptionsChange.mock.calls[0][0];
    expect(saved.secureJsonData).toEqual({ apiToken: 's3cret' });
    expect(JSON.stringify(saved.jsonData)).not.toContain('s3cret');
  });

  it('shows a stored token as configured, never its value, and resets it', () => {
    const onOptionsChange = jest.fn();
    render(
      <ConfigEditor options={settings({ secureJsonFields: { apiToken: true } })} onOptionsChange={onOptionsChange} />
    );
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ secureJsonFields: { apiToken: false }, secureJsonData: { apiToken: '' } })
    );
  });
});
