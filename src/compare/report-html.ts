// A single HTML page: the chart inline (no file beside it to lose), the table as HTML, and the raw
// report as JSON in a <script type="application/json"> block for anyone who wants the numbers.

import { blastCell, metricCell, scalingCell, transportCell } from './report-format.js';
import { escapeXml, renderSvg } from './report-svg.js';
import { METRICS, type CompareReport, type MetricKey } from './result.js';

export function renderHtml(report: CompareReport): string {
  const modes = report.modes;
  const head = `<tr><th>metric</th>${modes.map((m) => `<th>${escapeXml(m.mode)}</th>`).join('')}</tr>`;
  const rows: string[] = [];
  const row = (label: string, cells: string[]) => rows.push(`<tr><td>${escapeXml(label)}</td>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`);
  row('app → db over', modes.map(transportCell));
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    if (modes.every((m) => metricCell(m, key) === '–')) continue;
    row(`${METRICS[key].label} (${METRICS[key].unit})`, modes.map((m) => metricCell(m, key)));
  }
  row('db killed: members', modes.map((m) => blastCell(m, 'kill')));
  row('db at mem limit: members', modes.map((m) => blastCell(m, 'memory-limit')));
  row('3 app replicas', modes.map(scalingCell));
  const svg = renderSvg(report).replace(/^<\?xml[^>]*>\n/, '');
  // JSON inside <script> must not contain "</": escape the slash.
  const json = JSON.stringify(report).replace(/<\//g, '<\\/');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>berth compare — ${escapeXml(report.stack.group)}</title>
<style>
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin-top: 16px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td:first-child { white-space: nowrap; }
</style>
</head>
<body>
${svg}
<table>
${head}
${rows.join('\n')}
</table>
<p>Cells are the median over runs with the min–max spread in brackets. Stack: ${escapeXml(report.stack.files.join(', '))}.</p>
<script type="application/json" id="berth-compare-report">${json}</script>
</body>
</html>
`;
}
