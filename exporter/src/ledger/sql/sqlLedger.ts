import type { LedgerSpan, PushReceipt, SpendWindow } from '../ledger';
import { pushReceiptSql, receiptFromRow } from './pushReceipts';
import type { BreakdownQuery, BreakdownRow, Dimension, RowSelection, Series, UsageTotals } from '../queries';
import {
  breakdownStatement,
  dimensionValuesStatement,
  readBreakdown,
  readDimensionValues,
  readSpan,
  readSpend,
  readTimeSeries,
  SeriesQuery,
  spanStatement,
  spendStatements,
  SqlDialect,
  Statement,
  timeSeriesStatement,
} from './usageQueries';

/**
 * The chargeback queries of an engine that runs usageQueries.ts's SQL: it says how a statement runs and what
 * its dialect is, and gets breakdown, timeSeries, dimensionValues, span, spend and pushReceipt of the Ledger
 * interface.
 */
export abstract class SqlLedger {
  protected abstract readonly dialect: SqlDialect;

  /** Runs one query statement; its rows as objects. */
  protected abstract run(statement: Statement): Promise<Record<string, unknown>[]>;

  async breakdown(q: BreakdownQuery): Promise<{ rows: BreakdownRow[]; total: UsageTotals }> {
    return readBreakdown(q, await this.run(breakdownStatement(q, this.dialect)));
  }

  async timeSeries(q: SeriesQuery): Promise<Series[]> {
    return readTimeSeries(q, await this.run(timeSeriesStatement(q, this.dialect)));
  }

  async dimensionValues(dimension: Dimension, q: RowSelection): Promise<string[]> {
    return readDimensionValues(await this.run(dimensionValuesStatement(dimension, q, this.dialect)));
  }

  async span(q: Pick<RowSelection, 'fromMs' | 'toMs' | 'scope'>): Promise<LedgerSpan> {
    return readSpan(await this.run(spanStatement({ ...q, filters: {} }, this.dialect)));
  }

  async spend(windows: readonly SpendWindow[]): Promise<bigint[]> {
    const results = await Promise.all(
      spendStatements(windows, this.dialect).map(async (s) => ({
        indexes: s.indexes,
        rows: await this.run(s.statement),
      }))
    );
    return readSpend(windows.length, results);
  }

  async pushReceipt(id: string): Promise<PushReceipt | undefined> {
    const row = (await this.run({ sql: pushReceiptSql(this.dialect), params: [id] }))[0];
    return row && receiptFromRow(row).receipt;
  }
}
