import { apiErrorMessage, statusMessage } from './messages';

const fetchError = (status: number, data: unknown, statusText = '') => ({
  status,
  statusText,
  data,
  config: { url: '/x' },
});

describe('apiErrorMessage', () => {
  it('shows the message the API gave', () => {
    expect(
      apiErrorMessage(
        fetchError(
          400,
          {
            error: 'step: 1s gives 2678400 points for this range; at most 11000 (use a larger step)',
            parameter: 'step',
          },
          'Bad Request'
        )
      )
    ).toBe('step: 1s gives 2678400 points for this range; at most 11000 (use a larger step)');
  });

  it('says a 401 is about the token', () => {
    expect(
      apiErrorMessage(fetchError(401, { error: 'missing or invalid API token (send Authorization: Bearer <token>)' }))
    ).toBe(
      'The exporter refused the API token (401): missing or invalid API token (send Authorization: Bearer <token>)'
    );
  });

  it('says when Grafana cannot reach the exporter', () => {
    expect(apiErrorMessage(fetchError(502, { message: 'Bad Gateway' }, 'Bad Gateway'))).toBe(
      'Cannot reach the exporter (502 Bad Gateway): check the URL and that `tokenledger serve` is running'
    );
  });

  it('falls back to the status, and to the message of other errors', () => {
    expect(apiErrorMessage(fetchError(500, 'oops', 'Internal Server Error'))).toBe(
      'The exporter answered 500 Internal Server Error'
    );
    expect(apiErrorMessage(new Error('boom'))).toBe('boom');
  });
});

describe('statusMessage', () => {
  it("gives the ledger's span and record count", () => {
    expect(
      statusMessage({
        status: 'ok',
        records: 1500,
        firstRecord: '2025-01-06T00:00:37.000Z',
        lastRecord: '2025-01-31T23:59:00.000Z',
      })
    ).toBe('Connected to TokenLedger: 1,500 records from 2025-01-06 00:00 UTC to 2025-01-31 23:59 UTC.');
  });

  it('says when the ledger is empty', () => {
    expect(statusMessage({ status: 'ok', records: 0, firstRecord: null, lastRecord: null })).toBe(
      'Connected to TokenLedger; the ledger holds no records yet.'
    );
  });
});
