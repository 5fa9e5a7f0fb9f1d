import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchOf, fullRecord, record } from '../../../test/ledgerContract';
import type { PricedRecord } from '../../types';
import { RARE_COLUMNS, StoredUsage, UsageBatch } from '../rows';
import { DuckDbLedger } from './duckDbLedger';

// A DuckDB batch goes in two files, rows with every column and rows without the rare pricing inputs
// (rows.ts RARE_COLUMNS), loaded by one statement (batchLoad.ts): every value must land, whichever file it took.

const T0 = Date.parse('2026-01-01T00:00:00Z');
const FULL = fullRecord('full', T0, 1000n);

/** A plain record with one rare pricing input as fullRecord has it: one per RARE_COLUMNS entry. */
const ONE_RARE_INPUT: Record<string, (r: PricedRecord) => PricedRecord> = {
  base_model: (r) => ({ ...r, baseModel: FULL.baseModel }),
  service_tier: (r) => ({ ...r, serviceTier: FULL.serviceTier }),
  speed: (r) => ({ ...r, speed: FULL.speed }),
  inference_geo: (r) => ({ ...r, inferenceGeo: FULL.inferenceGeo }),
  cache_write_1h: (r) => ({ ...r, tokens: { ...r.tokens, cacheWrite1h: FULL.tokens.cacheWrite1h } }),
  input_audio: (r) => ({ ...r, tokens: { ...r.tokens, inputAudio: FULL.tokens.inputAudio } }),
  input_image: (r) => ({ ...r, tokens: { ...r.tokens, inputImage: FULL.tokens.inputImage } }),
  input_video: (r) => ({ ...r, tokens: { ...r.tokens, inputVideo: FULL.tokens.inputVideo } }),
  output_audio: (r) => ({ ...r, tokens: { ...r.tokens, outputAudio: FULL.tokens.outputAudio } }),
  output_image: (r) => ({ ...r, tokens: { ...r.tokens, outputImage: FULL.tokens.outputImage } }),
  web_search_queries: (r) => ({ ...r, toolCalls: { ...r.toolCalls, webSearchQueries: 2 } }),
  web_search_context: (r) => ({ ...r, toolCalls: { ...r.toolCalls, webSearchContext: 'low' } }),
  file_search_calls: (r) => ({ ...r, toolCalls: { ...r.toolCalls, fileSearchCalls: 3 } }),
  code_interpreter_sessions: (r) => ({ ...r, toolCalls: { ...r.toolCalls, codeInterpreterSessions: 1 } }),
  maps_grounding_queries: (r) => ({ ...r, toolCalls: { ...r.toolCalls, mapsGroundingQueries: 5 } }),
  gateway_cache_hit: (r) => ({ ...r, gatewayCacheHit: true }),
  usage_reported: (r) => ({ ...r, usageReported: false }),
};

/** What the ledger stores of a record's pricing inputs. */
const inputsOf = (r: PricedRecord | StoredUsage) => ({
  baseModel: r.baseModel,
  serviceTier: r.serviceTier,
  speed: r.speed,
  inferenceGeo: r.inferenceGeo,
  tokens: r.tokens,
  toolCalls: r.toolCalls,
  gatewayCacheHit: r.gatewayCacheHit,
  usageReported: r.usageReported,
  modelRequested: r.modelRequested,
  reportedCostPusd: r.reportedCostPusd,
});

describe('DuckDB batch load', () => {
  let dir: string;
  let ledger: DuckDbLedger;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-batchload-'));
    ledger = await DuckDbLedger.open(join(dir, 'ledger.duckdb'), { node: 'node-a' });
  });
  afterEach(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (): Promise<Map<string, StoredUsage>> =>
    new Map((await ledger.readUsage(undefined, 1000)).rows.map((r) => [r.recordKey, r]));

  it('sets every rare pricing input apart, and writes a row without them only where all are at their fill', () => {
    expect(Object.keys(ONE_RARE_INPUT).sort()).toEqual([...RARE_COLUMNS].sort());
    for (const [column, withIt] of Object.entries(ONE_RARE_INPUT)) {
      const batch = new UsageBatch('duckdb', ledger.rowSpool);
      batch.add(withIt(record(column, T0, 1)), 0);
      batch.add(record('plain', T0, 1), 1);
      const rows = batch.encoded();
      expect({ column, rows: rows.rows, short: rows.shortRows }).toEqual({ column, rows: 2, short: 1 });
    }
    // PostgreSQL's COPY takes one shape of row.
    const postgres = new UsageBatch('postgres', ledger.rowSpool);
    postgres.add(record('plain', T0, 1), 0);
    expect(postgres.encoded()).toMatchObject({ rows: 1, shortRows: 0, shortFiles: [] });
  });

  it('stores each rare pricing input as the record had it, beside rows without any', async () => {
    const records = [
      ...Object.entries(ONE_RARE_INPUT).map(([column, withIt]) => withIt(record(column, T0, 1, 10n))),
      FULL,
      { ...record('plain', T0 + 1000, 2, 20n), modelRequested: 'group', reportedCostPusd: 7n, pricedModel: 'm1' },
    ];
    const result = await ledger.commitBatch(batchOf(ledger, records));
    expect(result.inserted).toBe(records.length);
    const rows = await stored();
    for (const r of records) expect(inputsOf(rows.get(`litellm:${r.requestId}`)!)).toEqual(inputsOf(r));
    expect(rows.get('litellm:plain')!.pricedModel).toBe('m1');
    expect(rows.get('litellm:full')!.feePusd).toBe(FULL.feePusd);
  });

  it('keeps the repeat read first when its two reads took different files', async () => {
    const b = new UsageBatch(ledger.rowFormat, ledger.rowSpool);
    b.add(fullRecord('a', T0, 100n), 5); // read second: left out
    b.add(record('a', T0, 1, 100n), 2);
    b.add(fullRecord('b', T0, 100n), 1);
    b.add(record('b', T0, 1, 100n), 7); // read second: left out
    const result = await ledger.commitBatch({ ...batchOf(ledger, []), rows: b.encoded() });
    expect(result.inserted).toBe(2);
    const rows = await stored();
    expect(rows.get('litellm:a')!.serviceTier).toBeUndefined();
    expect(rows.get('litellm:b')!.serviceTier).toBe('priority');
    expect(result.added.cells.reduce((n, c) => n + c.requests, 0)).toBe(2);
    expect((await ledger.readUsage(undefined, 1000)).rows).toHaveLength(2);
  });

  it('keeps the rare inputs of the first read when both reads of a repeat had some', async () => {
    const b = new UsageBatch(ledger.rowFormat, ledger.rowSpool);
    b.add({ ...fullRecord('a', T0, 100n), serviceTier: 'flex' }, 3);
    b.add(fullRecord('a', T0, 100n), 9); // read second: left out, its rare inputs too
    const result = await ledger.commitBatch({ ...batchOf(ledger, []), rows: b.encoded() });
    expect(result.inserted).toBe(1);
    const rows = (await ledger.readUsage(undefined, 1000)).rows;
    expect(rows.map((r) => [r.recordKey, r.serviceTier])).toEqual([['litellm:a', 'flex']]);
    // The metrics' cache-write tokens (tokens[2]) count the 1-hour writes, read from the rare inputs.
    expect(result.added.cells.map((c) => c.tokens[2])).toEqual([FULL.tokens.cacheWrite + FULL.tokens.cacheWrite1h]);
  });

  it('leaves out a row of either file whose request an earlier batch stored', async () => {
    await ledger.commitBatch(batchOf(ledger, [fullRecord('a', T0, 100n), record('b', T0, 1, 100n)]));
    const again = await ledger.commitBatch(
      batchOf(ledger, [record('a', T0, 1, 100n), fullRecord('b', T0, 100n), record('c', T0, 1, 100n)])
    );
    expect(again.inserted).toBe(1);
    const rows = await stored();
    expect([...rows.keys()].sort()).toEqual(['litellm:a', 'litellm:b', 'litellm:c']);
    expect(rows.get('litellm:a')!.serviceTier).toBe('priority');
    expect(rows.get('litellm:b')!.serviceTier).toBeUndefined();
  });
});
