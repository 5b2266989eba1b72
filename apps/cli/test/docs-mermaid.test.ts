/**
 * Every ```mermaid block in the repository's Markdown (README, docs/, package and app READMEs)
 * parses with Mermaid's own parser, so none shows up as a render error on GitHub. Mermaid needs
 * a DOM even to parse (DOMPurify): jsdom provides one. The files are found anew on each run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SKIP = new Set(['node_modules', 'dist', '.git', '.tmp', 'coverage']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** The mermaid blocks of a Markdown text, with the line each starts on. */
export function mermaidBlocks(markdown: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```mermaid') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== '```') end++;
    blocks.push({ line: start + 1, text: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

const blocks = markdownFiles(ROOT).flatMap((file) =>
  mermaidBlocks(readFileSync(file, 'utf8')).map((block) => ({ ...block, where: `${relative(ROOT, file)}:${block.line}` })),
);

describe('Mermaid diagrams in the docs', () => {
  it('finds the diagrams (the docs have more than twenty)', () => {
    expect(blocks.length).toBeGreaterThan(20);
  });

  it('parses every one with Mermaid\'s parser', { timeout: 60_000 }, async () => {
    const dom = new JSDOM('<!doctype html><html><body></body></html>');
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    const { default: mermaid } = await import('mermaid');
    const failures: string[] = [];
    for (const block of blocks) {
      try {
        await mermaid.parse(block.text);
      } catch (error) {
        failures.push(`${block.where}: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('would catch a broken diagram (a semicolon inside a message splits the statement)', async () => {
    const { default: mermaid } = await import('mermaid');
    await expect(mermaid.parse('sequenceDiagram\n  Note over C: stops reading; its output queue fills up')).rejects.toThrow(/Parse error/);
  });
});
