// RUN → the exec the solver performs: argv after the stage's SHELL (heredocs handled as
// BuildKit's dispatchRun does), the environment (ENV + ARG values), working directory, user,
// network and security mode, and the mounts with variables expanded and defaults filled in.
import { chompHeredoc, parseHeredocWord } from '../dockerfile/heredoc.js';
import type { RunInstruction } from '../dockerfile/model.js';
import { MountError, mountDefaults, parseMount } from '../dockerfile/mounts.js';
import { fail, imagePath, sourcePath, type DispatchContext } from './dispatch-context.js';
import type { ResolvedMount, SourceRef, StepOp } from './types.js';

type RunOp = Extract<StepOp, { op: 'run' }>;

function argvOf(instr: RunInstruction, shell: readonly string[]): { argv: string[]; files: RunOp['files'] } {
  const cmd = instr.command;
  if (cmd.form === 'exec') return { argv: [...cmd.argv], files: [] };
  if (instr.heredocs.length === 0) return { argv: [...shell, cmd.text], files: [] };
  if (parseHeredocWord(cmd.text.trim()) && instr.heredocs.length === 1) {
    // The whole command is one heredoc: its body is the script.
    const h = instr.heredocs[0];
    const data = h.chomp ? chompHeredoc(h.content) : h.content;
    if (data.startsWith('#!')) {
      const file = `/dev/pipes/${h.name}`;
      return { argv: [file], files: [{ path: file, data, mode: 0o755 }] };
    }
    return { argv: [...shell, data], files: [] };
  }
  // Heredocs inside a longer command: the shell gets the text back with the bodies in place.
  let full = cmd.text;
  for (const h of instr.heredocs) full += `\n${h.content}${h.name}`;
  return { argv: [...shell, full], files: [] };
}

function resolveMounts(instr: RunInstruction, d: DispatchContext): ResolvedMount[] {
  const out: ResolvedMount[] = [];
  let sshIndex = 0;
  for (const flag of instr.mounts) {
    let parsed;
    try {
      parsed = parseMount(flag.spec, (v) => d.expand.value(v, flag.position));
    } catch (e) {
      if (!(e instanceof MountError)) throw e;
      fail(d, `invalid --mount: ${e.message}`, flag.position, e.hint);
      continue;
    }
    const m = mountDefaults(parsed, parsed.type === 'ssh' ? sshIndex++ : 0);
    if ((m.type === 'bind' || m.type === 'cache' || m.type === 'tmpfs') && !m.target) {
      fail(d, `--mount=type=${m.type} needs a target`, flag.position, 'add target=<path in the container>');
      continue;
    }
    let from: SourceRef = m.type === 'bind' ? { kind: 'context' } : { kind: 'scratch' };
    if (m.from !== undefined) {
      const ref = d.resolveFrom(m.from, flag.position, 'RUN --mount from');
      if (!ref) continue;
      from = ref;
    }
    let source: string | undefined;
    if (m.type === 'bind' || m.type === 'cache') {
      source = sourcePath(d, m.source ?? '.', from, flag.position, 'RUN --mount');
      if (source === undefined) continue;
      if (from.kind === 'context') d.contextPaths.add(source);
    }
    out.push({
      type: m.type,
      target: imagePath(d.state.config.workingDir, m.target!),
      from,
      source,
      readonly: m.readonly,
      id: m.id,
      sharing: m.sharing,
      required: m.required,
      mode: m.mode,
      uid: m.uid,
      gid: m.gid,
      size: m.size,
      env: m.env,
    });
  }
  return out;
}

export function dispatchRun(instr: RunInstruction, d: DispatchContext): RunOp {
  const security = instr.security ?? 'sandbox';
  if (security === 'insecure' && !d.allowInsecure) {
    fail(d, 'RUN --security=insecure is not allowed for this build', instr.securityPosition ?? instr.position, 'grant the security.insecure entitlement for this build, or remove the flag');
  }
  const { argv, files } = argvOf(instr, d.state.config.shell);
  return {
    op: 'run',
    argv,
    env: d.state.runEnv(),
    cwd: d.state.config.workingDir || '/',
    user: d.state.config.user,
    network: instr.network ?? 'default',
    security,
    mounts: resolveMounts(instr, d),
    files,
  };
}

/** How the plan text shows a RUN: its flags and command as written, whitespace runs collapsed. */
export function runText(instr: RunInstruction): string {
  const flags = [
    ...instr.mounts.map((m) => `--mount=${m.spec}`),
    ...(instr.network ? [`--network=${instr.network}`] : []),
    ...(instr.security ? [`--security=${instr.security}`] : []),
  ];
  const command = instr.command.form === 'exec' ? JSON.stringify(instr.command.argv) : instr.command.text.replace(/[ \t]+/g, ' ');
  return ['RUN', ...flags, command].join(' ');
}
