// The README's table of Compose service keys on Swarm is generated from src/swarm/keys.ts, the table
// the translator reads, so the two cannot drift: this test fails when the README's block differs
// from what the table says now. `BERTH_UPDATE_README=1 npx vitest run test/swarm/readme-keys.test.ts`
// rewrites the block.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { SERVICE_KEYS, keyTableMarkdown, type Treatment } from '../../src/swarm/keys.js';

const README = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../README.md');
const BEGIN = '<!-- swarm-keys:begin — generated from src/swarm/keys.ts by test/swarm/readme-keys.test.ts (BERTH_UPDATE_README=1 rewrites it) -->';
const END = '<!-- swarm-keys:end -->';

function counts(keys: string[]): Record<Treatment, number> {
  const out: Record<Treatment, number> = { mapped: 0, honoured: 0, refused: 0 };
  for (const k of keys) out[SERVICE_KEYS[k].treatment]++;
  return out;
}

export function generatedBlock(): string {
  const all = Object.keys(SERVICE_KEYS);
  const top = counts(all.filter((k) => !k.includes('.')));
  const every = counts(all);
  const line = (c: Record<Treatment, number>) => `${c.mapped} mapped, ${c.honoured} honoured by berth, ${c.refused} refused`;
  return [
    BEGIN,
    `${all.filter((k) => !k.includes('.')).length} service keys: ${line(top)}; with the sub-keys of deploy, healthcheck, ports, volumes and networks, ${all.length} entries: ${line(every)}.`,
    '',
    '<details><summary>Every key, and what Swarm gets of it</summary>',
    '',
    keyTableMarkdown(),
    '',
    '</details>',
    END,
  ].join('\n');
}

it('the README shows the key table as src/swarm/keys.ts has it', () => {
  const text = readFileSync(README, 'utf8');
  const from = text.indexOf(BEGIN);
  const to = text.indexOf(END);
  expect(from, 'the README has the generated block').toBeGreaterThanOrEqual(0);
  const current = text.slice(from, to + END.length);
  if (process.env.BERTH_UPDATE_README === '1') {
    writeFileSync(README, text.slice(0, from) + generatedBlock() + text.slice(to + END.length));
    return;
  }
  expect(current).toBe(generatedBlock());
});
