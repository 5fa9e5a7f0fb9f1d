import {
  inSample,
  NOT_IN_SAMPLE,
  repositoryPath,
  SampledMutant,
  sampleOptionsFrom,
  sampleSummary,
  tallyFile,
  wilson95,
} from './mutationSample';

const mutant = (line: number, extra: Partial<SampledMutant> = {}): SampledMutant => ({
  id: String(line),
  mutatorName: 'EqualityOperator',
  replacement: 'a <= b',
  location: { start: { line, column: 4 }, end: { line, column: 10 } },
  ...extra,
});

describe('the draw', () => {
  const options = { fraction: 0.2, seed: 'tokenledger' };
  const mutants = Array.from({ length: 5000 }, (_, i) => mutant(i + 1));
  const drawn = (file: string, o = options) => mutants.filter((m) => inSample(file, m, o)).map((m) => m.id);

  it('draws about the share asked for', () => {
    const n = drawn('/a/exporter/src/ledger/x.ts').length;
    // 5,000 draws of p = 0.2: a standard deviation of 28; six of them either side.
    expect(n).toBeGreaterThan(1000 - 170);
    expect(n).toBeLessThan(1000 + 170);
  });

  it('draws the same mutants in every checkout, and others for another seed or file', () => {
    const here = drawn('/work/main/exporter/src/ledger/x.ts');
    expect(drawn('/tmp/sandbox-1/exporter/src/ledger/x.ts')).toEqual(here);
    const otherSeed = drawn('/work/main/exporter/src/ledger/x.ts', { ...options, seed: 'another' });
    const otherFile = drawn('/work/main/exporter/src/ledger/y.ts');
    for (const other of [otherSeed, otherFile]) {
      const shared = other.filter((id) => here.includes(id)).length;
      // Independent draws share about 0.2 of them (200 of 1,000); the same draw would share all.
      expect(shared).toBeLessThan(here.length / 2);
      expect(shared).toBeGreaterThan(here.length / 10);
    }
  });

  it('tells mutants apart by mutator, replacement and place', () => {
    const file = 'exporter/src/ledger/x.ts';
    const base = mutants.map((m) => inSample(file, m, options));
    for (const change of [
      { mutatorName: 'ConditionalExpression' },
      { replacement: 'a >= b' },
      { location: { start: { line: 1, column: 5 }, end: { line: 1, column: 10 } } },
    ]) {
      const other = mutants.map((m) => inSample(file, { ...m, ...change }, options));
      expect(other.filter((d, i) => d !== base[i]).length).toBeGreaterThan(500);
    }
  });

  it('draws every mutant at 1 and keeps a smaller share inside a larger one', () => {
    expect(drawn('x.ts', { ...options, fraction: 1 })).toHaveLength(mutants.length);
    const small = drawn('x.ts', { ...options, fraction: 0.05 });
    const large = drawn('x.ts');
    expect(small.length).toBeGreaterThan(0);
    expect(small.every((id) => large.includes(id))).toBe(true);
  });
});

describe('MUTATION_SAMPLE', () => {
  it('is off when unset or empty, a share otherwise, with a seed of its own or the default', () => {
    expect(sampleOptionsFrom({})).toBeUndefined();
    expect(sampleOptionsFrom({ MUTATION_SAMPLE: '' })).toBeUndefined();
    expect(sampleOptionsFrom({ MUTATION_SAMPLE: '0.1' })).toEqual({ fraction: 0.1, seed: 'tokenledger' });
    expect(sampleOptionsFrom({ MUTATION_SAMPLE: '1', MUTATION_SAMPLE_SEED: 'b' })).toEqual({ fraction: 1, seed: 'b' });
  });

  it.each(['0', '-0.1', '1.5', 'ten', 'NaN'])('refuses %s, saying what it expects', (text) => {
    expect(() => sampleOptionsFrom({ MUTATION_SAMPLE: text })).toThrow(
      `MUTATION_SAMPLE=${text}: expected the share of mutants to test, a number above 0 and at most 1`
    );
  });
});

describe('the score of a sample', () => {
  it("names files from the repository's top whatever the checkout", () => {
    expect(repositoryPath('/work/h-x/exporter/src/ledger/a.ts')).toBe('exporter/src/ledger/a.ts');
    expect(repositoryPath('exporter/src/ledger/a.ts')).toBe('exporter/src/ledger/a.ts');
    expect(repositoryPath('C:\\repo\\exporter\\src\\a.ts')).toBe('exporter/src/a.ts');
    expect(repositoryPath('/elsewhere/a.ts')).toBe('/elsewhere/a.ts');
  });

  it("gives Wilson's interval: known values, and bounds within 0 and 1", () => {
    // 81 of 100: 72.2 %-87.5 % (Wilson 1927; as R's prop.test(81, 100, correct = FALSE) gives it).
    const { low, high } = wilson95(81, 100);
    expect(low).toBeCloseTo(0.7222, 3);
    expect(high).toBeCloseTo(0.8749, 3);
    const all = wilson95(40, 40);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(0.9124, 3);
    expect(wilson95(0, 10).low).toBe(0);
    expect(wilson95(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('counts what was drawn and what became of it, leaving out the ignored and the invalid', () => {
    const file = [
      mutant(1, { status: 'Killed' }),
      mutant(2, { status: 'Timeout' }),
      mutant(3, { status: 'Survived' }),
      mutant(4, { status: 'NoCoverage' }),
      mutant(5, { status: 'RuntimeError' }),
      mutant(6, { status: 'CompileError', statusReason: 'TS2322' }),
      mutant(7, { status: 'CompileError', statusReason: NOT_IN_SAMPLE }),
      mutant(8, { status: 'Ignored', statusReason: 'static' }),
    ];
    expect(tallyFile(file)).toEqual({ population: 7, drawn: 6, detected: 2, survived: 1, noCoverage: 1, invalid: 2 });
  });

  it('sums a line per file and one for all, each with its interval', () => {
    const killed = (n: number) => Array.from({ length: n }, (_, i) => mutant(i, { status: 'Killed' }));
    const out = (n: number) =>
      Array.from({ length: n }, (_, i) => mutant(i, { status: 'CompileError', statusReason: NOT_IN_SAMPLE }));
    const lines = sampleSummary({
      '/x/exporter/src/b.ts': { mutants: [...killed(3), mutant(9, { status: 'Survived' }), ...out(6)] },
      '/x/exporter/src/a.ts': { mutants: [...killed(2), ...out(8)] },
      '/x/exporter/src/static.ts': { mutants: [mutant(1, { status: 'Ignored' })] },
    });
    expect(lines).toEqual([
      'exporter/src/a.ts: 2 of 2 drawn mutants detected (2 drawn of 10; 0 survived, 0 not covered, 0 invalid): 100.0 % (95 %: 34.2 %-100.0 %)',
      'exporter/src/b.ts: 3 of 4 drawn mutants detected (4 drawn of 10; 1 survived, 0 not covered, 0 invalid): 75.0 % (95 %: 30.1 %-95.4 %)',
      'all files: 5 of 6 drawn mutants detected (6 drawn of 20; 1 survived, 0 not covered, 0 invalid): 83.3 % (95 %: 43.6 %-97.0 %)',
    ]);
  });

  it('gives no score to a file with nothing valid drawn', () => {
    const lines = sampleSummary({ 'a.ts': { mutants: [mutant(1, { status: 'RuntimeError' })] } });
    expect(lines[0]).toBe(
      'a.ts: 0 of 0 drawn mutants detected (1 drawn of 1; 0 survived, 0 not covered, 1 invalid): no score'
    );
  });
});
