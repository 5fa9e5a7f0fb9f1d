import fc from 'fast-check';
import { containerFramer, ContainerMode, detectWrapper, unwrapCri, unwrapDocker } from './containerLog';
import { FramedText, Framer, TextFramer } from './framer';

// Record shapes as the runtimes write them: CRI per kubelet's parseCRILog examples
// (kubernetes/kubernetes pkg/kubelet/kuberuntime/logs/logs.go), Docker per moby's jsonfilelog marshalMessage
// (daemon/logger/jsonfilelog/jsonfilelog.go: `\n` only on a whole line or the last part of a split one).
const TIME = '2026-11-30T10:00:00.123456789Z';
const cri = (stream: string, tag: 'P' | 'F', text: string) => `${TIME} ${stream} ${tag} ${text}\n`;
const docker = (stream: string, text: string, final: boolean) =>
  `${JSON.stringify({ log: final ? `${text}\n` : text, stream, time: TIME })}\n`;

const MAX = 1 << 20;

function frameAll(mode: ContainerMode, bytes: Buffer, chunks: number[] = [], max = MAX): FramedText[] {
  const f = containerFramer(mode, 0, 1, max);
  const out: FramedText[] = [];
  let at = 0;
  for (const cut of [...chunks.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b)) {
    f.push(bytes.subarray(at, cut), out);
    at = cut;
  }
  f.push(bytes.subarray(at), out);
  f.finish(out);
  return out;
}

const view = (t: FramedText) => [t.text, t.line, t.startOffset, t.endOffset];

describe('container records', () => {
  it('unwraps CRI records: stream, tag (first of the :-separated tags), text with its spaces', () => {
    expect(unwrapCri(`${TIME} stdout P  a b `)).toEqual({ stream: 'stdout', content: ' a b ', final: false });
    expect(unwrapCri('2026-11-30T10:00:00+01:00 stderr F:x {"a":1}')).toEqual({
      stream: 'stderr',
      content: '{"a":1}',
      final: true,
    });
    expect(unwrapCri(`${TIME} stdout F `)).toEqual({ stream: 'stdout', content: '', final: true });
    expect(unwrapCri(`${TIME} stdout F`)).toEqual({ stream: 'stdout', content: '', final: true });
    expect(unwrapCri('INFO: started')).toMatch(/not a CRI log record .*RFC 3339 time/);
    expect(unwrapCri(`${TIME} stdin F x`)).toMatch(/stream "stdin" is not stdout or stderr/);
  });

  it('unwraps Docker json-file entries: a part without \\n continues its line', () => {
    expect(unwrapDocker(docker('stdout', '{"a":1}', true).trim())).toEqual({
      stream: 'stdout',
      content: '{"a":1}',
      final: true,
    });
    expect(unwrapDocker(docker('stderr', 'part', false).trim())).toEqual({
      stream: 'stderr',
      content: 'part',
      final: false,
    });
    expect(unwrapDocker('{"log":"x\\n"')).toMatch(/not JSON/);
    expect(unwrapDocker('{"log":"x\\n","stream":"other"}')).toMatch(/not a Docker json-file log record/);
  });

  it('detects the wrapper from the first line only', () => {
    expect(detectWrapper(Buffer.from(cri('stdout', 'F', 'x')))).toBe('cri');
    expect(detectWrapper(Buffer.from(docker('stdout', 'x', true)))).toBe('docker');
    expect(detectWrapper(Buffer.from('{"id":"chatcmpl-1","model":"gpt-4o"}\n'))).toBe('none');
    expect(detectWrapper(Buffer.from(`INFO: started\n${cri('stdout', 'F', 'x')}`))).toBe('none');
    expect(detectWrapper(Buffer.from('2026-11-30 10:00:00 stdout F x\n'))).toBe('none');
  });
});

describe('container log framing', () => {
  it('joins CRI partial records up to the final one: one text with the raw offsets and line', () => {
    const bytes = Buffer.from(
      cri('stdout', 'F', 'INFO one') +
        cri('stdout', 'P', '{"a":') +
        cri('stdout', 'P', '"b') +
        cri('stdout', 'F', 'c"}')
    );
    const out = frameAll('cri', bytes);
    const second = Buffer.byteLength(cri('stdout', 'F', 'INFO one'));
    expect(out.map(view)).toEqual([
      ['INFO one', 1, 0, second],
      ['{"a":"bc"}', 2, second, bytes.length],
    ]);
  });

  it('never resumes inside a partial sequence: the position stays at its first record until the final one', () => {
    const first = cri('stdout', 'P', '{"a":');
    const f = containerFramer('cri', 0, 1, MAX);
    const out: FramedText[] = [];
    f.push(Buffer.from(first + cri('stdout', 'P', '1')), out);
    expect(out).toEqual([]);
    expect([f.resumeOffset, f.resumeLine]).toEqual([0, 1]);
    f.push(Buffer.from(cri('stdout', 'F', '}')), out);
    expect(out.map((t) => t.text)).toEqual(['{"a":1}']);
    expect(f.heldBytes).toBe(0);
  });

  it("reads a pretty-printed object whose lines have another stream's lines between them", () => {
    const pretty = JSON.stringify({ id: 'r1', usage: { prompt_tokens: 3 } }, null, 4).split('\n');
    const lines = [
      cri('stdout', 'F', pretty[0]!),
      cri('stdout', 'F', pretty[1]!),
      cri('stderr', 'F', 'INFO:     10.0.0.1:5000 - "POST /chat/completions HTTP/1.1" 200 OK'),
      ...pretty.slice(2).map((l) => cri('stdout', 'F', l)),
    ];
    const out = frameAll('cri', Buffer.from(lines.join('')));
    expect(out.map((t) => [t.text, t.line])).toEqual([
      [pretty.join('\n'), 1],
      ['INFO:     10.0.0.1:5000 - "POST /chat/completions HTTP/1.1" 200 OK', 3],
    ]);
  });

  it('refuses a line that is not a record of the format, naming why, and reads on', () => {
    const bytes = Buffer.from(`garbage line\n${cri('stdout', 'F', '{"a":1}')}`);
    const out = frameAll('cri', bytes);
    expect(out.map((t) => [t.text, t.line, t.wrapperError !== undefined])).toEqual([
      ['garbage line', 1, true],
      ['{"a":1}', 2, false],
    ]);
  });

  it('refuses a joined line longer than maxBytes as one reject over all its records', () => {
    const bytes = Buffer.from(
      cri('stdout', 'P', 'x'.repeat(40)) + cri('stdout', 'F', 'y'.repeat(40)) + cri('stdout', 'F', '{"a":1}')
    );
    const out = frameAll('cri', bytes, [], 64);
    const end = bytes.length - Buffer.byteLength(cri('stdout', 'F', '{"a":1}'));
    expect(out.map((t) => [t.tooLong, t.line, t.startOffset, t.endOffset])).toEqual([
      [true, 1, 0, end],
      [false, 3, end, bytes.length],
    ]);
  });

  it('flags invalid UTF-8 in a record by its offset in the raw file', () => {
    const head = Buffer.from(`${TIME} stdout F {"u":"`);
    const bytes = Buffer.concat([head, Buffer.from([0xff]), Buffer.from('"}\n')]);
    expect(frameAll('cri', bytes)[0]!.invalidUtf8At).toBe(head.length);
  });

  it('auto: decides per file from its first line, and reads an unwrapped file as it is', () => {
    const plain = Buffer.from('{"a":1}\n{"b":2}\n');
    expect(frameAll('auto', plain, [3]).map((t) => t.text)).toEqual(['{"a":1}', '{"b":2}']);
    const wrapped = Buffer.from(docker('stdout', '{"a":', false) + docker('stdout', '1}', true));
    expect(frameAll('auto', wrapped, [5]).map((t) => t.text)).toEqual(['{"a":1}']);
    expect(frameAll('none', wrapped).map((t) => t.text)).toHaveLength(2);
  });

  it('auto: holds the bytes of a first line not yet whole, says where reading stands, and can still take it', () => {
    const f = containerFramer('auto', 100, 7, MAX);
    const out: FramedText[] = [];
    f.push(Buffer.from('{"a":'), out);
    expect([f.readOffset, f.resumeOffset, f.resumeLine, f.heldBytes]).toEqual([105, 100, 7, 5]);
    f.push(Buffer.from('1}'), out);
    expect(out).toEqual([]);
    // A plain file whose writer stopped on a whole JSON text without its newline: taken as it is.
    expect(f.takeUnterminated(out)).toBe(true);
    expect(out.map(view)).toEqual([['{"a":1}', 7, 100, 107]]);
    // From then on it stands where a plain file's framer stands.
    const plain = new Framer(100, 7, MAX);
    plain.push(Buffer.from('{"a":1}'), []);
    plain.takeUnterminated([]);
    expect([f.readOffset, f.resumeOffset, f.resumeLine, f.heldBytes]).toEqual([107, 107, plain.resumeLine, 0]);
  });

  it('a wrapped file never takes a record without its newline: it is cut short, and stays held', () => {
    const whole = docker('stdout', '{"a":1}', true);
    const cut = docker('stdout', '{"b":2}', true).slice(0, -1);
    const f = containerFramer('docker', 0, 1, MAX);
    const out: FramedText[] = [];
    f.push(Buffer.from(whole + cut), out);
    expect(f.takeUnterminated(out)).toBe(false);
    expect(out.map((t) => t.text)).toEqual(['{"a":1}']);
    const end = Buffer.byteLength(whole);
    expect([f.readOffset, f.resumeOffset, f.resumeLine, f.heldBytes]).toEqual([
      end + Buffer.byteLength(cut),
      end,
      2,
      Buffer.byteLength(cut),
    ]);
  });

  it('auto: a file resumed past its start is decided on its first bytes', () => {
    const first = docker('stdout', '{"a":1}', true);
    const bytes = Buffer.from(first + docker('stdout', '{"b":2}', true));
    const f = containerFramer('auto', Buffer.byteLength(first), 2, MAX, bytes.subarray(0, 256));
    const out: FramedText[] = [];
    f.push(bytes.subarray(Buffer.byteLength(first)), out);
    expect(out.map((t) => [t.text, t.line])).toEqual([['{"b":2}', 2]]);
  });
});

/** A container's output: each stream's lines, in order, split into records, the two streams' records interleaved. */
interface Generated {
  bytes: Buffer;
  /** Each stream's texts as a plain file of its lines would give them. */
  texts: string[];
}

const wordArb = fc.stringMatching(/^[a-z0-9 ._-]{1,12}$/);
const lineArb = fc.oneof(
  wordArb.map((w) => ({ kind: 'noise', lines: [`INFO ${w}`] })),
  fc.record({ id: wordArb, n: fc.nat(1000) }).map((o) => ({ kind: 'json', lines: [JSON.stringify(o)] })),
  fc
    .record({ id: wordArb, usage: fc.record({ prompt_tokens: fc.nat(99), completion_tokens: fc.nat(99) }) })
    .map((o) => ({ kind: 'pretty', lines: JSON.stringify(o, null, 4).split('\n') }))
);

function generate(
  wrapper: 'cri' | 'docker',
  streams: { lines: string[] }[][],
  cuts: number[],
  order: boolean[]
): Generated {
  const names = ['stdout', 'stderr'];
  const queues = streams.map((entries, s) => {
    const records: string[] = [];
    let c = 0;
    for (const e of entries)
      for (const line of e.lines) {
        // Split the line into parts at generated places (a runtime splits at its buffer size).
        const parts: string[] = [];
        let rest = line;
        while (rest.length > 1 && (cuts[c++ % cuts.length] ?? 0) % 3 === 0) {
          const at = 1 + ((cuts[c++ % cuts.length] ?? 0) % (rest.length - 1));
          parts.push(rest.slice(0, at));
          rest = rest.slice(at);
        }
        parts.push(rest);
        parts.forEach((p, i) => {
          const final = i === parts.length - 1;
          records.push(wrapper === 'cri' ? cri(names[s]!, final ? 'F' : 'P', p) : docker(names[s]!, p, final));
        });
      }
    return records;
  });
  const out: string[] = [];
  let k = 0;
  while (queues.some((q) => q.length)) {
    const pick = queues[0]!.length && (!queues[1]!.length || order[k++ % order.length]) ? 0 : 1;
    out.push(queues[pick]!.shift()!);
  }
  return {
    bytes: Buffer.from(out.join('')),
    texts: streams.flatMap((entries) => entries.map((e) => e.lines.join('\n'))),
  };
}

const containerArb = fc.record({
  wrapper: fc.constantFrom('cri' as const, 'docker' as const),
  streams: fc.tuple(fc.array(lineArb, { maxLength: 8 }), fc.array(lineArb, { maxLength: 8 })),
  cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
  order: fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
  chunks: fc.array(fc.nat(4000), { maxLength: 12 }),
  stop: fc.nat(4000),
});

const sorted = (xs: string[]) => [...xs].sort();

describe('container log framing, over arbitrary chunkings and restarts', () => {
  it('gives every line of both streams once, joined, whatever the chunks', () => {
    fc.assert(
      fc.property(containerArb, ({ wrapper, streams, cuts, order, chunks }) => {
        const g = generate(wrapper, streams, cuts, order);
        const whole = frameAll(wrapper, g.bytes);
        expect(sorted(whole.map((t) => t.text))).toEqual(sorted(g.texts));
        expect(frameAll('auto', g.bytes, chunks).map(view)).toEqual(whole.map(view));
      }),
      { numRuns: 300 }
    );
  });

  it('a restart at the resume point after any prefix reads the rest: no text lost or read twice', () => {
    fc.assert(
      fc.property(containerArb, ({ wrapper, streams, cuts, order, chunks, stop }) => {
        const g = generate(wrapper, streams, cuts, order);
        const whole = frameAll(wrapper, g.bytes);
        const cut = stop % (g.bytes.length + 1);
        const first: TextFramer = containerFramer(wrapper, 0, 1, MAX);
        const out: FramedText[] = [];
        first.push(g.bytes.subarray(0, cut), out);
        for (const t of out) expect(t.endOffset).toBeLessThanOrEqual(first.resumeOffset);
        const again = containerFramer('auto', first.resumeOffset, first.resumeLine, MAX, g.bytes.subarray(0, 256));
        let at = first.resumeOffset;
        for (const c of [...chunks].sort((a, b) => a - b).filter((c) => c > at && c < g.bytes.length)) {
          again.push(g.bytes.subarray(at, c), out);
          at = c;
        }
        again.push(g.bytes.subarray(at), out);
        again.finish(out);
        expect(out.map(view)).toEqual(whole.map(view));
      }),
      { numRuns: 300 }
    );
  });
});

describe('container records: edges of the formats', () => {
  it('a CRI record that ends after its stream has no tag: refused, not read as a line "stdout"', () => {
    // kubelet's parseCRILog refuses it ("log tag is not found"); so does an empty tag between two spaces.
    expect(unwrapCri(`${TIME} stdout`)).toMatch(/: no P or F tag$/);
    expect(unwrapCri(`${TIME} stderr  {"a":1}`)).toMatch(/: no P or F tag$/);
  });

  it('a CRI time glued to what follows is no time; a stream name is quoted cut to 20 characters', () => {
    expect(unwrapCri(`${TIME}x`)).toMatch(/it does not start with an RFC 3339 time$/);
    expect(unwrapCri(`${TIME} ${'s'.repeat(30)} F x`)).toMatch(
      new RegExp(`: stream "${'s'.repeat(20)}" is not stdout or stderr$`)
    );
  });

  it('only the tag P is a part: any other first tag ends the line (kubelet keeps new tags forward compatible)', () => {
    expect(unwrapCri(`${TIME} stdout PX x`)).toEqual({ stream: 'stdout', content: 'x', final: true });
  });

  it('a Docker entry without `log` is an empty part (moby writes it with omitempty); a `log` not text is refused', () => {
    expect(unwrapDocker(JSON.stringify({ stream: 'stdout', time: TIME }))).toEqual({
      stream: 'stdout',
      content: '',
      final: false,
    });
    expect(unwrapDocker(JSON.stringify({ log: 5, stream: 'stdout', time: TIME }))).toMatch(
      /not a Docker json-file log record/
    );
  });

  it('detects CRI from a first line with several tags or no text, with or without its newline', () => {
    expect(detectWrapper(Buffer.from(`${TIME} stdout F:x {"a":1}\n`))).toBe('cri');
    expect(detectWrapper(Buffer.from(`${TIME} stdout F\n`))).toBe('cri');
    expect(detectWrapper(Buffer.from(`${TIME} stdout F`))).toBe('cri');
    // a CRI record whose text looks like a Docker entry is CRI
    expect(detectWrapper(Buffer.from(cri('stdout', 'F', '{"log":"x"}')))).toBe('cri');
  });

  it('decides on the first line alone: an empty one, or one without a tag, is no wrapper whatever follows', () => {
    expect(detectWrapper(Buffer.from(`\n${cri('stdout', 'F', 'x')}`))).toBe('none');
    expect(detectWrapper(Buffer.from(`${TIME} stdout \nF x\n`))).toBe('none');
    expect(detectWrapper(Buffer.from(`INFO ${cri('stdout', 'F', 'x')}`))).toBe('none');
  });
});

describe('container log framing: where a file ends', () => {
  it('a line whose final record never came is taken as ended when the file ends for good', () => {
    const out = frameAll('cri', Buffer.from(cri('stdout', 'F', 'INFO a') + cri('stdout', 'P', '{"a":1}')));
    expect(out.map((t) => [t.text, t.line])).toEqual([
      ['INFO a', 1],
      ['{"a":1}', 2],
    ]);
  });

  it('an object cut short by the end of the file is handed over as it is, for the parser to refuse', () => {
    const out = frameAll('cri', Buffer.from(cri('stdout', 'F', '{') + cri('stdout', 'F', '    "a": 1,')));
    expect(out.map((t) => [t.text, t.line])).toEqual([['{\n    "a": 1,', 1]]);
  });

  it('a one-shot read of a file that may grow keeps a line without its final record held', () => {
    const bytes = Buffer.from(cri('stdout', 'F', '{"a":1}') + cri('stdout', 'P', '{"b":'));
    const f = containerFramer('cri', 0, 1, MAX);
    const out: FramedText[] = [];
    f.push(bytes, out);
    f.finish(out, () => true);
    expect(out.map((t) => t.text)).toEqual(['{"a":1}']);
    expect(f.resumeOffset).toBe(Buffer.byteLength(cri('stdout', 'F', '{"a":1}')));
  });

  it('auto: a file of one line without its newline is read at its end', () => {
    expect(frameAll('auto', Buffer.from('{"a":1}')).map((t) => t.text)).toEqual(['{"a":1}']);
  });

  it('auto: a whole first line is handed over as soon as it is read, an empty one leaves nothing held', () => {
    const f = containerFramer('auto', 0, 1, MAX);
    const out: FramedText[] = [];
    f.push(Buffer.from('\n'), out);
    expect([f.resumeOffset, f.heldBytes]).toEqual([1, 0]);
    f.push(Buffer.from('{"a":1}\n'), out);
    expect(out.map((t) => t.text)).toEqual(['{"a":1}']);
  });

  it('auto: a plain file resumed past its start stays plain, even at a line that looks like a CRI record', () => {
    const first = '{"a":1}\n';
    const bytes = Buffer.from(first + cri('stdout', 'F', '{"b":2}'));
    const f = containerFramer('auto', first.length, 2, MAX, bytes.subarray(0, 256));
    const out: FramedText[] = [];
    f.push(bytes.subarray(first.length), out);
    expect(out.map((t) => t.text)).toEqual([cri('stdout', 'F', '{"b":2}').trimEnd()]);
  });

  it('a record longer than any line can be is refused by itself, and the next is read', () => {
    // maxBytes 64: a record is held up to 2 * 64 + 4096 bytes (its wrapper, and JSON escapes that double its text).
    const long = cri('stdout', 'F', 'x'.repeat(5000));
    const out = frameAll('cri', Buffer.from(long + cri('stdout', 'F', '{"a":1}')), [], 64);
    expect(out.map((t) => [t.tooLong, t.line, t.startOffset, t.endOffset])).toEqual([
      [true, 1, 0, Buffer.byteLength(long)],
      [false, 2, Buffer.byteLength(long), Buffer.byteLength(long) + Buffer.byteLength(cri('stdout', 'F', '{"a":1}'))],
    ]);
    // refused as too long, not as a record of another format
    expect(out[0]!.wrapperError).toBeUndefined();
  });

  it('a lone "{" then a whole JSON line: two texts, each ending where its own records end', () => {
    const first = cri('stdout', 'F', '{');
    const bytes = Buffer.from(first + cri('stdout', 'F', '{"a":1}'));
    expect(frameAll('cri', bytes).map(view)).toEqual([
      ['{', 1, 0, Buffer.byteLength(first)],
      ['{"a":1}', 2, Buffer.byteLength(first), bytes.length],
    ]);
  });

  it("one stream's line left pending holds the other's lines back only up to maxBytes, then is handed over as it is", () => {
    // stdout's line never ends; stderr writes 3 lines of about 90 bytes of records each, over maxBytes (128)
    const pending = cri('stdout', 'P', '{"a":');
    const others = [1, 2, 3].map((n) => cri('stderr', 'F', `INFO ${n} ${'x'.repeat(40)}`));
    const f = containerFramer('cri', 0, 1, 128);
    const out: FramedText[] = [];
    f.push(Buffer.from(pending + others.join('')), out);
    expect(out.map((t) => [t.text.slice(0, 6), t.line])).toEqual([
      ['{"a":', 1],
      ['INFO 1', 2],
      ['INFO 2', 3],
      ['INFO 3', 4],
    ]);
  });

  it('lines that are not records are refused one by one, even when together they make a JSON object', () => {
    const out = frameAll('docker', Buffer.from(`{\n  "a": 1\n}\n${docker('stdout', '{"b":2}', true)}`));
    expect(out.map((t) => [t.text, t.line, t.wrapperError !== undefined])).toEqual([
      ['{', 1, true],
      ['  "a": 1', 2, true],
      ['}', 3, true],
      ['{"b":2}', 4, false],
    ]);
  });

  it('a Docker record whose escapes double its text is read while its text fits', () => {
    // 3,000 quotes: a 3,000-byte line, a record of more than 6,000 bytes (each quote escaped as \").
    const quotes = '"'.repeat(3000);
    const out = frameAll('docker', Buffer.from(docker('stdout', quotes, true)), [], 4096);
    expect(out.map((t) => [t.text.length, t.tooLong])).toEqual([[3000, false]]);
  });

  it('flags invalid UTF-8 of a pretty-printed object by its bad byte, in whichever record it is', () => {
    const before = Buffer.from(cri('stdout', 'F', '{') + `${TIME} stdout F     "u": "`);
    const bytes = Buffer.concat([
      before,
      Buffer.from([0xff]),
      Buffer.from('",\n'),
      Buffer.from(cri('stdout', 'F', '    "v": 1') + cri('stdout', 'F', '}')),
    ]);
    const out = frameAll('cri', bytes);
    expect(out.map((t) => [t.line, t.invalidUtf8At])).toEqual([[1, before.length]]);
  });
});
