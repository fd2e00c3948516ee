// RUN: shell or exec form, heredocs, and its flags --mount (repeatable), --network, --security.
import { attachHeredocBodies, heredocsInLine } from './heredoc.js';
import { LineError, parseJsonArray } from './line-parsers.js';
import type { CommandLine, MountFlag, NetworkMode, RunInstruction, SecurityMode } from './model.js';
import { MountError, parseMount } from './mounts.js';
import { Problem, type InstructionParser, type Request } from './request.js';

const NETWORKS: readonly NetworkMode[] = ['default', 'none', 'host'];
const SECURITY: readonly SecurityMode[] = ['sandbox', 'insecure'];

/** Shell or exec form (parseMaybeJSON); an array holding non-strings is an error. */
export function commandLine(req: Request): CommandLine {
  try {
    const argv = parseJsonArray(req.args);
    if (argv !== undefined) return { form: 'exec', argv };
  } catch (e) {
    if (e instanceof LineError) throw new Problem(e.message, req.at(e.offset), 'write every element as a "string"');
    throw e;
  }
  return { form: 'shell', text: req.args.text };
}

export const runParser: InstructionParser = {
  flags: { mount: 'strings', network: 'string', security: 'string' },
  parse(req: Request): RunInstruction {
    if (req.args.text === '') throw new Problem('RUN requires at least one argument', req.position, 'give the command to run');
    const command = commandLine(req);

    const mounts: MountFlag[] = [];
    for (const flag of req.flags.strings('mount')) {
      try {
        mounts.push({ spec: flag.value, position: flag.valuePosition, mount: parseMount(flag.value) });
      } catch (e) {
        if (!(e instanceof MountError)) throw e;
        req.report(`invalid --mount: ${e.message}`, flag.valuePosition, e.hint);
      }
    }

    let network: NetworkMode | undefined;
    const net = req.flags.string('network');
    if (net) {
      const v = net.value.toLowerCase() as NetworkMode;
      if (NETWORKS.includes(v)) network = v;
      else req.report(`unsupported network mode ${JSON.stringify(net.value)}`, net.valuePosition, `use one of ${NETWORKS.join(', ')}`);
    }

    let security: SecurityMode | undefined;
    const sec = req.flags.string('security');
    if (sec) {
      const v = sec.value.toLowerCase() as SecurityMode;
      if (SECURITY.includes(v)) security = v;
      else req.report(`unsupported security mode ${JSON.stringify(sec.value)}`, sec.valuePosition, `use one of ${SECURITY.join(', ')}`);
    }

    const heredocs =
      command.form === 'shell'
        ? attachHeredocBodies(heredocsInLine(command.text), req.heredocs, req.ctx.file, req.position, req.ctx.errors)
        : [];

    return {
      kind: 'RUN',
      position: req.position,
      original: req.line.text,
      command,
      heredocs,
      mounts,
      network,
      security,
      securityPosition: sec?.valuePosition,
    };
  },
};
