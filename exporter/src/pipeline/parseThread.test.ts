import type { FramedText } from '../parse/framer';
import { IdentityMap } from '../pricing/identityMap';
import { emptyPriceBook, PriceBook } from '../pricing/priceBook';
import { Pricer } from '../pricing/pricer';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowFormat } from '../ledger/rows';
import type { PartResult, PartSettings } from './batchPart';
import { ParseThread } from './parseThread';
import type { SourceContext } from './sourceContext';

const source: SourceContext = {
  name: 'src',
  parser: { format: 'litellm', mappings: {} },
  keyNamespace: undefined,
  otherLines: 'reject',
};
const pricing = { pricer: new Pricer(emptyPriceBook()), identities: new IdentityMap([], 'standard') };

const texts = (...ids: string[]): FramedText[] =>
  ids.map((id, i) => ({
    text:
      id === 'bad'
        ? '{"id":'
        : JSON.stringify({
            id,
            startTime: 1735689600,
            endTime: 1735689601,
            model: 'm1',
            status: 'success',
            prompt_tokens: 1,
            completion_tokens: 1,
          }),
    line: i + 1,
    startOffset: i,
    endOffset: i + 1,
    tooLong: false,
  }));

/** The text of a part's rows, as the ledger reads it from the spool. */
const textOf = (part: PartResult): string =>
  [...part.rows.files, ...part.rows.shortFiles].map((f) => readFileSync(f.path, 'utf8')).join('');

/** Request id and `seq` (the last column) of each encoded row. */
const idsAndPlaces = (part: PartResult): string[] =>
  textOf(part)
    .split('\n')
    .filter(Boolean)
    .map((row) => `${row.split('\t')[0]}#${row.split('\t').at(-1)}`);

describe('ParseThread', () => {
  let spool: string;
  let thread: ParseThread;
  const settings = (format: RowFormat): PartSettings => ({ format, spool, requestIds: true });
  beforeEach(() => {
    spool = mkdtempSync(join(tmpdir(), 'tokenledger-parse-thread-'));
    thread = new ParseThread(settings('duckdb'));
  });
  afterEach(async () => {
    await thread.close();
    rmSync(spool, { recursive: true, force: true });
  });

  it('hand back, at each cut, the rows and rejects of the reads sent since the last cut, with their places in the batch', async () => {
    thread.parse(source, 'a.jsonl', texts('r1', 'bad'), 0, pricing);
    thread.parse(source, 'a.jsonl', texts('r2'), 10, pricing);
    const first = await thread.cut();
    expect(idsAndPlaces(first)).toEqual(['litellm:r1#0', 'litellm:r2#10']);
    expect(first.rejects.map((r) => `${r.path}:${r.line} ${r.reason}`)).toEqual(['a.jsonl:2 invalid_json']);
    thread.parse(source, 'a.jsonl', texts('r3'), 0, pricing);
    expect(idsAndPlaces(await thread.cut())).toEqual(['litellm:r3#0']);
    expect((await thread.cut()).rows.rows).toBe(0);
  });

  it('encode rows as the ledger engine it was made for loads them', async () => {
    const postgres = new ParseThread(settings('postgres'));
    try {
      postgres.parse(source, 'a.jsonl', texts('r1'), 0, pricing);
      const part = await postgres.cut();
      expect(part.rows.format).toBe('postgres');
      // COPY's text format: an unpriced request's cost is \N (NULL), not an empty field as for DuckDB.
      expect(textOf(part).split('\t')[17]).toBe('\\N');
    } finally {
      await postgres.close();
    }
  });

  it('keep the request ids of their records only for a listener of commits', async () => {
    thread.parse(source, 'a.jsonl', texts('r1', 'bad', 'r2'), 0, pricing);
    expect((await thread.cut()).requestIds).toEqual(['r1', 'r2']);
    const idless = new ParseThread({ ...settings('duckdb'), requestIds: false });
    try {
      idless.parse(source, 'a.jsonl', texts('r1', 'r2'), 0, pricing);
      const part = await idless.cut();
      expect([part.rows.rows, part.requestIds]).toEqual([2, []]);
    } finally {
      await idless.close();
    }
  });

  it('take at most four reads at a time, so that the caller parses the rest itself', async () => {
    for (let i = 0; i < 4; i++) {
      expect(thread.ready).toBe(true);
      thread.parse(source, 'a.jsonl', texts(`r${i}`), i, pricing);
    }
    expect(thread.ready).toBe(false);
    await thread.cut(); // answered after every read before it
    expect(thread.ready).toBe(true);
  });

  it('fail the cut, rather than wait forever, when the worker fails', async () => {
    // A price book the worker cannot use: its models are not a Map.
    const broken = { ...emptyPriceBook(), models: {} } as unknown as PriceBook;
    thread.parse(source, 'a.jsonl', texts('r1'), 0, { ...pricing, pricer: new Pricer(broken) });
    await expect(thread.cut()).rejects.toThrow(/the parse worker failed: .*has is not a function/);
    expect(thread.ready).toBe(false);
  });
});
