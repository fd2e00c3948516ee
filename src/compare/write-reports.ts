// Writing a finished comparison: the report in the asked format (stdout or -o FILE), and the JSON,
// the chart and the page into the report directory, each file written whole (temp + rename) so a
// reader never sees half a chart.

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { renderHtml } from './report-html.js';
import { renderSvg } from './report-svg.js';
import { renderMarkdownTable, renderTable } from './report-table.js';
import type { CompareReport } from './result.js';

export type ReportFormat = 'table' | 'markdown' | 'json' | 'html' | 'svg';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'markdown', 'json', 'html', 'svg'];

export function parseReportFormat(text: string): ReportFormat {
  if (!REPORT_FORMATS.includes(text as ReportFormat)) throw new UsageError(`--format ${text}: expected ${REPORT_FORMATS.join(', ')}`);
  return text as ReportFormat;
}

export function renderReport(report: CompareReport, format: ReportFormat): string {
  switch (format) {
    case 'table':
      return renderTable(report);
    case 'markdown':
      return renderMarkdownTable(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'html':
      return renderHtml(report);
    case 'svg':
      return renderSvg(report);
  }
}

function writeWhole(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Writes compare.json, compare.svg and compare.html into `dir`; returns their paths. */
export function writeReportFiles(report: CompareReport, dir: string): string[] {
  const files: [string, ReportFormat][] = [
    ['compare.json', 'json'],
    ['compare.svg', 'svg'],
    ['compare.html', 'html'],
  ];
  return files.map(([name, format]) => {
    const file = path.join(dir, name);
    writeWhole(file, renderReport(report, format));
    return file;
  });
}

export function writeOutput(file: string, text: string): void {
  writeWhole(file, text);
}
