/**
 * docs/gateways/: one page per gateway, each linked from README.md and docs/formats.md, and every YAML block a
 * user pastes from them is well-formed YAML (a broken indent in a snippet is what a user finds first).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const REPO = join(__dirname, '..');
const DIR = join(REPO, 'docs/gateways');
const PAGES = ['litellm-kubernetes.md', 'kong.md', 'envoy-ai-gateway.md', 'kuadrant-maas.md'];
const read = (path: string) => readFileSync(path, 'utf8');

/** The fenced ```yaml blocks of a Markdown text, with the line each starts on, their list indentation removed. */
function yamlBlocks(markdown: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  for (const m of markdown.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```$/gm)) {
    const indent = m[1]!.length;
    const text = m[2]!
      .split('\n')
      .map((l) => l.slice(indent))
      .join('\n');
    blocks.push({ line: markdown.slice(0, m.index).split('\n').length, text });
  }
  return blocks;
}

describe('docs/gateways', () => {
  it('has one page per gateway, each linked from README.md, docs/formats.md and the folder index', () => {
    expect(readdirSync(DIR).sort()).toEqual(['README.md', ...PAGES].sort());
    for (const from of ['README.md', 'docs/formats.md', 'docs/gateways/README.md']) {
      const text = read(join(REPO, from));
      for (const page of PAGES) expect([from, page, text.includes(`${page})`)]).toEqual([from, page, true]);
    }
  });

  const blocks = PAGES.flatMap((page) =>
    yamlBlocks(read(join(DIR, page))).map((b) => [`${page}:${b.line}`, b.text] as const)
  );
  it.each(blocks)('%s is well-formed YAML', (_where, text) => {
    const errors = parseAllDocuments(text).flatMap((d) => ('errors' in d ? d.errors.map((e) => e.message) : []));
    expect(errors).toEqual([]);
  });

  it('finds the YAML blocks (indented ones in lists too)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(PAGES.length * 2);
    expect(yamlBlocks('1. x\n\n   ```yaml\n   a: 1\n   ```\n')).toEqual([{ line: 3, text: 'a: 1\n' }]);
  });
});
