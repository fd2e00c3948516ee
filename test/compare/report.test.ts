import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/compare/report-html.js';
import { renderSvg } from '../../src/compare/report-svg.js';
import { renderMarkdownTable, renderTable } from '../../src/compare/report-table.js';
import { spreadOf } from '../../src/compare/spread.js';
import { fixtureReport } from './report-fixture.js';

/** Every element of a parsed XML tree with its attributes, depth first. */
function elements(node: unknown, name: string, out: Record<string, string>[] = []): Record<string, string>[] {
  if (Array.isArray(node)) for (const n of node) elements(n, name, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === name) for (const e of Array.isArray(v) ? v : [v]) out.push(typeof e === 'object' ? (e as Record<string, string>) : {});
      if (!k.startsWith('@_')) elements(v, name, out);
    }
  }
  return out;
}

describe('spread', () => {
  it('gives min, median and max', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3, n: 3 });
    expect(spreadOf([4, 1, 2, 3])).toEqual({ min: 1, median: 2.5, max: 4, n: 4 });
    expect(spreadOf([])).toBeUndefined();
  });
});

describe('text table', () => {
  it('puts modes side by side with spreads, blast radius and scaling', () => {
    const t = renderTable(fixtureReport());
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/^metric\s+split\s+pod\s+single$/);
    expect(t).toMatch(/latency p95 \(ms\)\s+\S+ \(\S+–\S+\)/);
    expect(t).toMatch(/up → healthy \(ms\)\s+1,580 \(1,540–1,620\)/);
    expect(t).toMatch(/db killed: members\s+api survived, db hit/);
    expect(t).toContain('api died, db hit');
    expect(t).toMatch(/3 app replicas\s+3\/3 replicas\s+no: pod members cannot be replicated/);
    expect(t).toContain('app → db over');
    expect(t).toContain('unix /var/run/postgresql');
    // Columns line up: every row's second column starts at the same offset as the header's.
    const col = lines[0].indexOf('split');
    for (const l of lines.slice(2, 8)) expect(l[col - 1]).toBe(' ');
  });

  it('says the app was not served again rather than leaving the recovery cell empty', () => {
    const r = fixtureReport(['single'], 1);
    r.modes[0].runs[0].blast[0].recoveredMs = undefined;
    delete r.modes[0].spread.killRecoveryMs;
    expect(renderTable(r)).toMatch(/db killed → served \(ms\)\s+not served again\n/);
  });

  it('renders markdown with one row per metric', () => {
    const md = renderMarkdownTable(fixtureReport(['split', 'pod'], 1));
    expect(md.split('\n')[0]).toBe('| metric | split | pod |');
    expect(md).toMatch(/\| throughput \(req\/s\) \| 2,381 \| 3,226 \|/);
  });
});

describe('SVG chart', () => {
  const svg = renderSvg(fixtureReport());

  it('is well-formed XML with an svg root', () => {
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg);
    expect(doc.svg['@_xmlns']).toBe('http://www.w3.org/2000/svg');
    expect(Number(doc.svg['@_height'])).toBeGreaterThan(400);
  });

  it('draws a latency curve and metric bars for every mode', () => {
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg);
    const paths = elements(doc, 'path').filter((p) => p['@_data-mode']);
    expect(paths.map((p) => p['@_data-mode']).sort()).toEqual(['pod', 'single', 'split']);
    for (const p of paths) expect(p['@_d']).toMatch(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/);
    const bars = elements(doc, 'rect').filter((r) => r['@_data-metric'] === 'throughput');
    expect(bars.map((b) => b['@_data-mode']).sort()).toEqual(['pod', 'single', 'split']);
    // pod is faster than split in the fixture: its throughput bar is longer.
    const w = (m: string) => Number(bars.find((b) => b['@_data-mode'] === m)?.['@_width']);
    expect(w('pod')).toBeGreaterThan(w('split'));
  });

  it('is self-contained: no scripts, no external references', () => {
    expect(svg).not.toMatch(/<script|href=|url\(|@import/);
  });

  it('escapes text from the stack', () => {
    const r = fixtureReport(['split'], 1);
    r.stack.group = 'a<b&"c"';
    const s = renderSvg(r);
    expect(XMLValidator.validate(s)).toBe(true);
    expect(s).toContain('a&lt;b&amp;&quot;c&quot;');
  });
});

describe('HTML page', () => {
  it('embeds the chart inline, the table and the JSON report', () => {
    const r = fixtureReport();
    const html = renderHtml(r);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).not.toContain('<?xml');
    expect(html).toMatch(/<th>split<\/th><th>pod<\/th><th>single<\/th>/);
    const json = /<script type="application\/json" id="berth-compare-report">(.*)<\/script>/s.exec(html)?.[1];
    expect(JSON.parse(json as string).modes).toHaveLength(3);
    expect(html).not.toMatch(/<script(?! type="application\/json")/);
  });
});
