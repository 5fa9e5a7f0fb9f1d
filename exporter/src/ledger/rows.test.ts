import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, NO_TOOL_CALLS, PricedRecord } from '../types';
import {
  finishSpool,
  joinRows,
  monthOf,
  noRows,
  RARE_COLUMNS,
  removeSpool,
  RowFormat,
  SpooledFile,
  spooledText,
  UsageBatch,
} from './rows';
import { ENCODED_COLUMNS } from './schema';

/** The spool the batches of this file write to (a ledger's rowSpool). */
let SPOOL = '';
beforeAll(() => (SPOOL = mkdtempSync(join(tmpdir(), 'tokenledger-rows-test-'))));
afterAll(() => rmSync(SPOOL, { recursive: true, force: true }));

// The rows a batch sends to its engine, read back here the way each engine reads them: DuckDB's CSV reader
// (tab-separated, a value with a tab, newline or quote in double quotes, quotes doubled, an empty field NULL) and
// PostgreSQL's COPY text format (backslash escapes, \N for NULL). That an engine loads them is the ledger
// contract's (test/ledgerContract.ts); this is what each field holds.

const NULL = null;
type Field = string | null;

/** One DuckDB CSV line (without its newline) as fields. */
function duckdbFields(line: string): Field[] {
  const out: Field[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    if (line[i] === '"') {
      for (i++; ; i++) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i++;
        } else if (line[i] === '"') break;
        else value += line[i];
      }
      i++;
      out.push(value);
    } else {
      while (i < line.length && line[i] !== '\t') value += line[i++];
      out.push(value === '' ? NULL : value);
    }
    if (i >= line.length) return out;
    i++; // the tab
  }
}

const UNESCAPE: Record<string, string> = { t: '\t', n: '\n', r: '\r', '\\': '\\' };
/** One PostgreSQL COPY text line as fields. */
const postgresFields = (line: string): Field[] =>
  line.split('\t').map((f) => (f === '\\N' ? NULL : f.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c]!)));

/** The text of spool files, one after the other. */
const textOf = (files: SpooledFile[]): string => files.map((f) => readFileSync(f.path, 'utf8')).join('');

/** Lines of spool files; a quoted DuckDB value may hold a newline, so its lines are cut where no quote is open. */
function linesOf(files: SpooledFile[], format: RowFormat): string[] {
  const text = textOf(files);
  const lines: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"' && format === 'duckdb') quoted = !quoted;
    else if (text[i] === '\n' && !quoted) {
      lines.push(text.slice(start, i));
      start = i + 1;
    }
  }
  expect(text.slice(start)).toBe(''); // every row ends with its newline
  return lines;
}

const WHOLE = [...ENCODED_COLUMNS.map((c) => c.name), 'seq'];
const SHORT = WHOLE.filter((c) => !RARE_COLUMNS.includes(c));

/** Every row a batch encoded, as column -> value, whole rows first. */
function decoded(batch: UsageBatch): Record<string, Field>[] {
  const e = batch.encoded();
  const fields = e.format === 'duckdb' ? duckdbFields : postgresFields;
  const rows = (files: SpooledFile[], columns: string[]) =>
    linesOf(files, e.format).map((l) => {
      const values = fields(l);
      expect(values).toHaveLength(columns.length);
      return Object.fromEntries(columns.map((c, i) => [c, values[i]!]));
    });
  // A short row reads as its rare columns' fill, as the batch load fills them in (duckdb/batchLoad.ts).
  const short = rows(e.shortFiles, SHORT).map((r) => ({ ...FILLS, ...r }));
  return [...rows(e.files, WHOLE), ...short];
}

const FILLS = Object.fromEntries(
  ENCODED_COLUMNS.filter((c) => RARE_COLUMNS.includes(c.name)).map((c) => [c.name, c.fill === 'NULL' ? NULL : c.fill!])
);

const T = Date.parse('2026-03-31T23:59:59.500Z');

const record = (over: Partial<PricedRecord> = {}): PricedRecord => ({
  requestId: 'req-1',
  startMs: T,
  durationMs: 1234.5,
  user: 'ann',
  apiKeyId: 'abcdef0123456789',
  apiKeyAlias: undefined,
  team: 'red',
  tier: 'gold',
  model: 'gpt-4o',
  provider: 'openai',
  status: 'success',
  httpStatus: 200,
  tokens: { ...NO_TOKENS, inputUncached: 11, cacheRead: 12, cacheWrite: 13, output: 14, reasoning: 15 },
  ...DEFAULT_PRICING_EXTRAS,
  modelRequested: 'gpt-4o-alias',
  reportedCostPusd: 777n,
  feePusd: 5n,
  pricedModel: 'gpt-4o-2024-08-06',
  source: 'litellm',
  costPusd: 1_000_000_000_000_000_001n, // beyond 2^53: written exactly
  chargePusd: 2n,
  priceVersion: 'v1',
  ...over,
});

const COMMON = {
  record_key: 'litellm:req-1',
  start_time: String(T * 1000),
  duration_ms: '1234.5',
  user_id: 'ann',
  api_key: 'abcdef012345',
  api_key_id: 'abcdef0123456789',
  team: 'red',
  tier: 'gold',
  model: 'gpt-4o',
  provider: 'openai',
  status: 'success',
  http_status: '200',
  input_uncached: '11',
  cache_read: '12',
  cache_write: '13',
  output: '14',
  reasoning: '15',
  cost_pusd: '1000000000000000001',
  charge_pusd: '2',
  price_version: 'v1',
  priced_on_ingest: 'true',
  model_requested: 'gpt-4o-alias',
  reported_cost_pusd: '777',
  fee_pusd: '5',
  priced_model: 'gpt-4o-2024-08-06',
};

const AT_FILL = {
  base_model: NULL,
  service_tier: NULL,
  speed: NULL,
  inference_geo: NULL,
  cache_write_1h: '0',
  input_audio: '0',
  input_image: '0',
  input_video: '0',
  output_audio: '0',
  output_image: '0',
  web_search_queries: '0',
  web_search_context: NULL,
  file_search_calls: '0',
  code_interpreter_sessions: '0',
  maps_grounding_queries: '0',
  gateway_cache_hit: 'false',
  usage_reported: 'true',
};

describe.each<RowFormat>(['duckdb', 'postgres'])('rows encoded for %s', (format) => {
  const one = (r: PricedRecord, seq = 0) => {
    const b = new UsageBatch(format, SPOOL);
    b.add(r, seq);
    return decoded(b);
  };

  it('holds every stored value of a record, in ENCODED_COLUMNS order, then its place in the batch', () => {
    expect(one(record(), 41)).toEqual([{ ...COMMON, ...AT_FILL, seq: '41' }]);
  });

  it('writes a missing value as NULL and an unknown dimension as unknown; an unpriced row has fee 0 and no priced model', () => {
    const r = record({
      durationMs: undefined,
      user: undefined,
      apiKeyId: undefined,
      team: undefined,
      tier: undefined,
      provider: undefined,
      httpStatus: undefined,
      status: 'failure',
      costPusd: undefined,
      chargePusd: undefined,
      priceVersion: undefined,
      modelRequested: undefined,
      reportedCostPusd: undefined,
    });
    expect(one(r)).toEqual([
      {
        ...COMMON,
        ...AT_FILL,
        duration_ms: NULL,
        user_id: 'unknown',
        api_key: 'unknown',
        api_key_id: NULL,
        team: 'unknown',
        tier: 'unknown',
        provider: NULL,
        status: 'failure',
        http_status: NULL,
        cost_pusd: NULL,
        charge_pusd: NULL,
        price_version: NULL,
        priced_on_ingest: 'false',
        model_requested: NULL,
        reported_cost_pusd: NULL,
        fee_pusd: '0',
        priced_model: NULL,
        seq: '0',
      },
    ]);
    // Priced without fees: 0, not NULL.
    expect(one(record({ feePusd: undefined }))[0]!.fee_pusd).toBe('0');
  });

  it('keeps every rare pricing input', () => {
    const rare = record({
      baseModel: 'azure/gpt-4o',
      serviceTier: 'flex',
      speed: 'fast',
      inferenceGeo: 'eu',
      tokens: {
        inputUncached: 11,
        cacheRead: 12,
        cacheWrite: 13,
        cacheWrite1h: 21,
        output: 14,
        reasoning: 15,
        inputAudio: 22,
        inputImage: 23,
        inputVideo: 24,
        outputAudio: 25,
        outputImage: 26,
      },
      toolCalls: {
        webSearchQueries: 31,
        webSearchContext: 'high',
        fileSearchCalls: 32,
        codeInterpreterSessions: 33,
        mapsGroundingQueries: 34,
      },
      gatewayCacheHit: true,
      usageReported: false,
    });
    expect(one(rare)).toEqual([
      {
        ...COMMON,
        base_model: 'azure/gpt-4o',
        service_tier: 'flex',
        speed: 'fast',
        inference_geo: 'eu',
        cache_write_1h: '21',
        input_audio: '22',
        input_image: '23',
        input_video: '24',
        output_audio: '25',
        output_image: '26',
        web_search_queries: '31',
        web_search_context: 'high',
        file_search_calls: '32',
        code_interpreter_sessions: '33',
        maps_grounding_queries: '34',
        gateway_cache_hit: 'true',
        usage_reported: 'false',
        seq: '0',
      },
    ]);
  });

  it('carries text with tabs, newlines, carriage returns, quotes and backslashes through unchanged', () => {
    const odd = 'a\tb\nc\rd"e\\f';
    const [row] = one(
      record({
        user: odd,
        team: '"',
        tier: '\\',
        model: 'm\n',
        provider: 'p\t',
        priceVersion: 'v"1',
        pricedModel: 'x\r',
      })
    );
    expect(row).toMatchObject({ user_id: odd, team: '"', tier: '\\', model: 'm\n', provider: 'p\t' });
    expect(row).toMatchObject({ price_version: 'v"1', priced_model: 'x\r' });
  });

  it('writes the start time in whole microseconds', () => {
    expect(one(record({ startMs: 1.4 }))[0]!.start_time).toBe('1000');
    expect(one(record({ startMs: 1.6 }))[0]!.start_time).toBe('2000');
  });
});

describe('rows whose rare pricing inputs are all at their fill', () => {
  const rareOne: Partial<PricedRecord>[] = [
    { baseModel: 'b' },
    { serviceTier: 'flex' },
    { speed: 'fast' },
    { inferenceGeo: 'us' },
    { tokens: { ...record().tokens, cacheWrite1h: 1 } },
    { tokens: { ...record().tokens, inputAudio: 1 } },
    { tokens: { ...record().tokens, inputImage: 1 } },
    { tokens: { ...record().tokens, inputVideo: 1 } },
    { tokens: { ...record().tokens, outputAudio: 1 } },
    { tokens: { ...record().tokens, outputImage: 1 } },
    { toolCalls: { ...NO_TOOL_CALLS, webSearchQueries: 1 } },
    { toolCalls: { ...NO_TOOL_CALLS, webSearchContext: 'low' } },
    { toolCalls: { ...NO_TOOL_CALLS, fileSearchCalls: 1 } },
    { toolCalls: { ...NO_TOOL_CALLS, codeInterpreterSessions: 1 } },
    { toolCalls: { ...NO_TOOL_CALLS, mapsGroundingQueries: 1 } },
    { gatewayCacheHit: true },
    { usageReported: false },
  ];

  it('go to DuckDB without those columns; a row with any one of them set goes whole', () => {
    const b = new UsageBatch('duckdb', SPOOL);
    b.add(record(), 0);
    rareOne.forEach((over, i) => b.add(record(over), i + 1));
    const e = b.encoded();
    expect([e.rows, e.shortRows]).toEqual([1 + rareOne.length, 1]);
    const rows = decoded(b);
    expect(rows.map((r) => r.seq)).toEqual([...rareOne.map((_, i) => String(i + 1)), '0']);
    expect(rows.at(-1)).toEqual({ ...COMMON, ...AT_FILL, seq: '0' });
  });

  it('go to PostgreSQL whole, like every row', () => {
    const b = new UsageBatch('postgres', SPOOL);
    b.add(record(), 0);
    const e = b.encoded();
    expect([e.rows, e.shortRows, e.shortFiles]).toEqual([1, 0, []]);
    expect(Object.keys(decoded(b)[0]!)).toEqual(WHOLE);
  });
});

describe('a batch', () => {
  const MONTH = (y: number, m: number) => y * 12 + m;

  it('is empty until a row is added: no file, no month, no range', () => {
    const before = readdirSync(SPOOL);
    for (const format of ['duckdb', 'postgres'] as const) {
      const empty = new UsageBatch(format, SPOOL).encoded();
      expect(empty).toEqual(noRows(format));
      expect(readdirSync(SPOOL)).toEqual(before);
      expect([empty.files, empty.shortFiles, empty.months]).toEqual([[], [], []]);
      expect([empty.format, empty.rows, empty.shortRows]).toEqual([format, 0, 0]);
      expect([empty.minStartMs, empty.maxStartMs]).toEqual([Infinity, -Infinity]);
    }
  });

  it('writes its rows into one file of the spool, whose size it knows, and closes it', () => {
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const b = new UsageBatch('postgres', SPOOL);
    for (let i = 0; i < 5000; i++) b.add(record({ requestId: `r${i}` }), i);
    const e = b.encoded();
    expect(openFiles()).toBe(before);
    expect([e.rows, e.files.length]).toEqual([5000, 1]);
    const [file] = e.files;
    expect(file!.path.startsWith(SPOOL)).toBe(true);
    expect(file!.bytes).toBe(readFileSync(file!.path).length);
    expect(file!.bytes).toBeGreaterThan(1 << 20); // more than one write
    expect(file!.unwritten).toEqual([]);
    expect(decoded(b).map((r) => r.record_key)).toEqual(Array.from({ length: 5000 }, (_, i) => `litellm:r${i}`));
  });

  it('knows the range of its start times and every UTC month they fall in, in any order', () => {
    const b = new UsageBatch('postgres', SPOOL);
    const times = [
      T, // March 31st, 23:59:59.5
      T + 500, // April 1st, 00:00
      T - 1,
      Date.parse('2026-01-15T00:00:00Z'),
      T + 400,
      Date.parse('2026-04-30T23:59:59.999Z'),
      Date.parse('2026-05-01T00:00:00Z'),
      Date.parse('2025-12-31T23:59:59.999Z'),
    ];
    times.forEach((startMs, i) => b.add(record({ requestId: `r${i}`, startMs }), i));
    const e = b.encoded();
    expect(e.rows).toBe(times.length);
    expect([e.minStartMs, e.maxStartMs]).toEqual([
      Date.parse('2025-12-31T23:59:59.999Z'),
      Date.parse('2026-05-01T00:00:00Z'),
    ]);
    expect([...e.months].sort((a, b) => a - b)).toEqual([
      MONTH(2025, 11),
      MONTH(2026, 0),
      MONTH(2026, 2),
      MONTH(2026, 3),
      MONTH(2026, 4),
    ]);
  });

  it('writes rows larger than its 1 MiB buffer whole, in the order added', () => {
    const b = new UsageBatch('postgres', SPOOL);
    const model = 'm'.repeat(300_000); // about three rows a buffer
    for (let i = 0; i < 9; i++) b.add(record({ requestId: `r${i}`, model }), i);
    b.add(record({ requestId: 'huge', model: 'h'.repeat(5 << 20) }), 9);
    const rows = decoded(b);
    expect(rows.map((r) => r.seq)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(rows.map((r) => r.model!.length)).toEqual([...Array(9).fill(300_000), 5 << 20]);
    const alone = new UsageBatch('postgres', SPOOL);
    alone.add(record({ requestId: 'huge', model: 'h'.repeat(5 << 20) }), 0);
    expect(alone.encoded()).toMatchObject({ rows: 1, files: [expect.objectContaining({ bytes: expect.any(Number) })] });
  });

  it('writes text of several bytes per character whole', () => {
    const b = new UsageBatch('duckdb', SPOOL);
    const user = '\u{1F600}é'.repeat(300_000); // 1.8 MB of UTF-8 from 900,000 UTF-16 units
    for (let i = 0; i < 4; i++) b.add(record({ requestId: `r${i}`, user }), i);
    expect(decoded(b).map((r) => r.user_id === user)).toEqual([true, true, true, true]);
  });
});

describe('joinRows', () => {
  const batch = (format: RowFormat, startMs: number[], rare = false) => {
    const b = new UsageBatch(format, SPOOL);
    startMs.forEach((s, i) => b.add(record({ startMs: s, ...(rare ? { speed: 'fast' } : {}) }), i));
    return b.encoded();
  };
  const APRIL = Date.parse('2026-04-10T00:00:00Z');

  it('puts the rows of two parts of a batch together', () => {
    const a = batch('duckdb', [T, APRIL]);
    const b = batch('duckdb', [T - 5, APRIL + 5], true);
    const c = batch('duckdb', [T - 7]);
    const j = joinRows(joinRows(a, b), c);
    expect(j).toEqual({
      format: 'duckdb',
      files: [...a.files, ...b.files, ...c.files],
      shortFiles: [...a.shortFiles, ...b.shortFiles, ...c.shortFiles],
      rows: 5,
      shortRows: 3,
      minStartMs: T - 7,
      maxStartMs: APRIL + 5,
      months: [monthOf(T), monthOf(APRIL)],
    });
    expect(joinRows(b, a)).toMatchObject({ minStartMs: T - 5, maxStartMs: APRIL + 5 });
  });

  it('gives the other part when one is empty, and refuses parts encoded for two engines', () => {
    const a = batch('postgres', [T]);
    expect(joinRows(noRows('postgres'), a)).toBe(a);
    expect(joinRows(a, noRows('duckdb'))).toBe(a);
    expect(() => joinRows(a, batch('duckdb', [T]))).toThrow('rows encoded for postgres and duckdb in one batch');
  });

  it("reads a batch's files one after the other as one text, as PostgreSQL's COPY is given them", async () => {
    const a = batch('postgres', [T]);
    const b = batch('postgres', [T + 1, T + 2], true);
    const chunks: Buffer[] = [];
    for await (const chunk of spooledText(joinRows(a, b))) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(textOf([...a.files, ...b.files]));
    expect(text.split('\n')).toHaveLength(4); // three rows, each ending in a newline
  });
});

describe('the spool', () => {
  const rowsOf = (spool: string, n: number) => {
    const b = new UsageBatch('postgres', spool);
    for (let i = 0; i < n; i++) b.add(record({ requestId: `s${i}` }), i);
    return b.encoded();
  };
  const keys = (files: SpooledFile[]) => linesOf(files, 'postgres').map((l) => l.split('\t')[0]);
  const expected = (n: number) => Array.from({ length: n }, (_, i) => `litellm:s${i}`);

  it('keeps in memory what it cannot write (a full disk), and the commit writes it, or fails until it can', () => {
    // Real: a file where the spool's directory should be, so that no file can be made in it.
    const spool = join(SPOOL, 'blocked');
    writeFileSync(spool, 'in the way');
    const e = rowsOf(spool, 5000);
    expect(e.rows).toBe(5000);
    const [file] = e.files;
    expect(file!.bytes).toBe(0);
    expect(Buffer.concat(file!.unwritten).length).toBeGreaterThan(1 << 20);
    expect(() => finishSpool(e)).toThrow(/EEXIST|ENOTDIR/);
    expect(file!.unwritten.length).toBeGreaterThan(0); // still there for the next attempt
    rmSync(spool);
    finishSpool(e);
    expect(file!.unwritten).toEqual([]);
    expect(file!.bytes).toBe(readFileSync(file!.path).length);
    expect(keys(e.files)).toEqual(expected(5000));
    finishSpool(e); // nothing left to write: the file stays as it is
    expect(keys(e.files)).toEqual(expected(5000));
  });

  it('keeps what follows a failed write in memory too, so that the commit writes every row in its order', () => {
    const spool = join(SPOOL, 'blocked-for-a-while');
    writeFileSync(spool, 'in the way');
    const b = new UsageBatch('postgres', spool);
    for (let i = 0; i < 5000; i++) b.add(record({ requestId: `s${i}` }), i); // more than a buffer: a write failed
    rmSync(spool);
    mkdirSync(spool); // room again before the batch ends: its next writes could reach the file
    for (let i = 5000; i < 10_000; i++) b.add(record({ requestId: `s${i}` }), i);
    const e = b.encoded();
    finishSpool(e);
    expect(keys(e.files)).toEqual(expected(10_000));
  });

  it('writes what was kept after the rows the file holds, over what a failed write left there', () => {
    const e = rowsOf(SPOOL, 3);
    const file = e.files[0]!;
    const rows = readFileSync(file.path);
    const head = rows.indexOf('\n') + 1;
    // As after a write that failed half-way: the file holds the first row and part of the rest, which is kept.
    writeFileSync(file.path, rows.subarray(0, head + 7));
    file.bytes = head;
    file.unwritten = [rows.subarray(head)];
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    finishSpool(e);
    expect(openFiles()).toBe(before); // the file it wrote is closed again
    expect(readFileSync(file.path)).toEqual(rows);
    expect(file.bytes).toBe(rows.length);
  });

  it("removes a batch's files", () => {
    const e = joinRows(rowsOf(SPOOL, 2), rowsOf(SPOOL, 2));
    expect(e.files.map((f) => existsSync(f.path))).toEqual([true, true]);
    removeSpool(e);
    expect(e.files.map((f) => existsSync(f.path))).toEqual([false, false]);
    removeSpool(e); // again, or after the spool was emptied: nothing to remove is no error
    expect(e.files.map((f) => existsSync(f.path))).toEqual([false, false]);
  });
});

describe('monthOf', () => {
  it('is the UTC month as year * 12 + month', () => {
    expect(monthOf(Date.parse('2026-03-31T23:59:59.999Z'))).toBe(2026 * 12 + 2);
    expect(monthOf(Date.parse('2026-04-01T00:00:00Z'))).toBe(2026 * 12 + 3);
    expect(monthOf(Date.parse('2026-12-01T00:00:00Z'))).toBe(2026 * 12 + 11);
  });
});
