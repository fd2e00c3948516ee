// The progress display while compare runs: on a terminal one status line rewritten in place with
// the elapsed time of the current stage; otherwise (CI logs, pipes) one line per stage. Always on
// stderr, so stdout carries only the report.

import type { CompareEvent } from './run-compare.js';
import { formatNumber } from './report-format.js';

export interface ProgressSink {
  write: (text: string) => void;
  isTTY: boolean;
  now?: () => number;
}

export function createProgress(sink: ProgressSink, totalRuns: number): { onEvent: (e: CompareEvent) => void; close: () => void } {
  const now = sink.now ?? Date.now;
  let done = 0;
  let current = '';
  let since = now();
  let timer: NodeJS.Timeout | undefined;
  const render = () => {
    if (!current) return;
    const secs = ((now() - since) / 1000).toFixed(1);
    sink.write(`\r\x1b[2K${current} … ${secs}s`);
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const line = (text: string) => {
    if (sink.isTTY) {
      stop();
      sink.write(`\r\x1b[2K${text}\n`);
    } else sink.write(`${text}\n`);
  };
  return {
    onEvent(e) {
      if (e.type === 'stage') {
        current = `[${done + 1}/${totalRuns}] ${e.mode}${e.repetition > 1 ? ` #${e.repetition}` : ''}: ${e.stage}`;
        since = now();
        if (sink.isTTY) {
          render();
          if (!timer) timer = setInterval(render, 200);
        } else sink.write(`${current}\n`);
      } else if (e.type === 'done') {
        done++;
        const l = e.run.workload.latency;
        const p50 = l.p50 !== undefined ? `p50 ${formatNumber(l.p50 / 1e6)} ms` : `mean ${formatNumber((l.mean ?? 0) / 1e6)} ms`;
        line(`[${done}/${totalRuns}] ${e.mode}: healthy in ${formatNumber(e.run.upToHealthyMs)} ms, ${formatNumber(e.run.workload.throughput)} req/s, ${p50}`);
        current = '';
      } else {
        done++;
        line(`[${done}/${totalRuns}] ${e.failure.mode}: failed at ${e.failure.stage}: ${e.failure.message}`);
        current = '';
      }
    },
    close: stop,
  };
}
