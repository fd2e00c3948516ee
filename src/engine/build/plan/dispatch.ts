// One stage → its steps. The state starts from the base (scratch, an image config the solver
// gave, or the final state of a base stage), the base's ONBUILD triggers run first, then every
// instruction in order. Instructions that only change the image config become `config` steps;
// RUN, COPY, ADD and WORKDIR become filesystem steps. Each step carries the canonical JSON its
// cache key is computed from.
import type { DockerfileError, SourcePosition } from '../dockerfile/errors.js';
import type { ArgInstruction, CommandLine, HealthcheckInstruction, InstructionKind, ParsedDockerfile, StageInstruction } from '../dockerfile/model.js';
import { formatPlatform } from '../dockerfile/platform.js';
import { formatGoDuration, parsePortSpec, parseSignal, ValueError } from '../dockerfile/values.js';
import { LexError, processWords } from '../dockerfile/lex.js';
import type { MetaArgs } from './args.js';
import { canonicalJson } from './canonical-json.js';
import { copyText, dispatchCopy } from './dispatch-files.js';
import { fail, imagePath, type DispatchContext } from './dispatch-context.js';
import { dispatchRun, runText } from './dispatch-run.js';
import type { StageGraph, StageNode } from './stages.js';
import { configFromImage, emptyConfig, Expander, StageState } from './state.js';
import type { ImageConfigInput, PlannedStep, SourceRef, StepOp } from './types.js';

export interface StageDispatchOptions {
  parsed: ParsedDockerfile;
  graph: StageGraph;
  meta: MetaArgs;
  buildArgs: Readonly<Record<string, string>>;
  images: Readonly<Record<string, ImageConfigInput>>;
  allowInsecure: boolean;
  proxyEnv: string[];
  /** Build args some ARG declared: filled in as stages are dispatched. */
  consumed: Set<string>;
  contextPaths: Set<string>;
  imageRefs: Set<string>;
  resolveFrom(value: string, position: SourcePosition, what: string): SourceRef | undefined;
  errors: DockerfileError[];
}

export interface StageResult {
  steps: PlannedStep[];
  state: StageState;
}

const argv = (c: CommandLine, shell: readonly string[]): string[] => (c.form === 'exec' ? [...c.argv] : [...shell, c.text]);

function dispatchArg(instr: ArgInstruction, d: DispatchContext, o: StageDispatchOptions): Record<string, unknown> {
  const set: string[] = [];
  for (const def of instr.args) {
    const name = def.name.value;
    o.consumed.add(name);
    let value: string | undefined;
    if (Object.hasOwn(o.buildArgs, name)) value = o.buildArgs[name];
    else if (def.default) value = d.expand.word(def.default);
    else if (o.meta.has(name)) value = o.meta.get(name); // inherits the global ARG (platform ARGs included)
    d.state.setArg(name, value);
    set.push(value === undefined ? name : `${name}=${value}`);
  }
  return { arg: set };
}

function healthTest(h: HealthcheckInstruction): string[] {
  if (h.test.type === 'NONE') return ['NONE'];
  const c = h.test.command;
  return c.form === 'exec' ? ['CMD', ...c.argv] : ['CMD-SHELL', c.text];
}

/** Applies a config-only instruction; returns the change (for the step) and its display text. */
function dispatchConfig(instr: StageInstruction, d: DispatchContext, o: StageDispatchOptions): { change: Record<string, unknown>; text: string } | undefined {
  const { state, expand } = d;
  const cfg = state.config;
  switch (instr.kind) {
    case 'ARG': {
      const change = dispatchArg(instr, d, o);
      return { change, text: `ARG ${(change.arg as string[]).join(' ')}` };
    }
    case 'ENV':
    case 'LABEL': {
      // Every pair is expanded with the variables from before the instruction.
      const pairs = instr.pairs.map((p) => [expand.word(p.key), expand.word(p.value)] as const);
      const set: string[] = [];
      for (const [k, v] of pairs) {
        if (k === undefined || v === undefined) continue;
        if (instr.kind === 'ENV') state.setEnv(k, v);
        else cfg.labels[k] = v;
        set.push(`${k}=${v}`);
      }
      return { change: { [instr.kind === 'ENV' ? 'env' : 'labels']: set }, text: `${instr.kind} ${set.join(' ')}` };
    }
    case 'USER': {
      const user = expand.word(instr.user);
      if (user === undefined) return undefined;
      cfg.user = user;
      return { change: { user }, text: `USER ${user}` };
    }
    case 'EXPOSE': {
      const ports: string[] = [];
      for (const w of instr.ports) {
        let words: string[];
        try {
          words = processWords(w.value, state.expansionEnv(), { escape: d.parsed.escape });
        } catch (e) {
          if (!(e instanceof LexError)) throw e;
          fail(d, e.message, w.position);
          continue;
        }
        for (const spec of words) {
          try {
            const r = parsePortSpec(spec);
            for (let p = r.start; p <= r.end; p++) ports.push(`${p}/${r.protocol}`);
          } catch (e) {
            if (!(e instanceof ValueError)) throw e;
            fail(d, e.message, w.position, e.hint);
          }
        }
      }
      for (const p of ports) if (!cfg.exposedPorts.includes(p)) cfg.exposedPorts.push(p);
      return { change: { exposedPorts: ports }, text: `EXPOSE ${ports.join(' ')}` };
    }
    case 'VOLUME': {
      const volumes = instr.paths.map((p) => expand.word(p)).filter((v): v is string => v !== undefined);
      for (const v of volumes) if (!cfg.volumes.includes(v)) cfg.volumes.push(v);
      return { change: { volumes }, text: `VOLUME ${JSON.stringify(volumes)}` };
    }
    case 'STOPSIGNAL': {
      const signal = expand.word(instr.signal);
      if (signal === undefined) return undefined;
      try {
        parseSignal(signal);
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        fail(d, e.message, instr.signal.position, e.hint);
      }
      cfg.stopSignal = signal;
      return { change: { stopSignal: signal }, text: `STOPSIGNAL ${signal}` };
    }
    case 'CMD': {
      cfg.cmd = argv(instr.command, cfg.shell);
      state.cmdSet = true;
      return { change: { cmd: cfg.cmd }, text: `CMD ${JSON.stringify(cfg.cmd)}` };
    }
    case 'ENTRYPOINT': {
      cfg.entrypoint = argv(instr.command, cfg.shell);
      // A new ENTRYPOINT drops the CMD inherited from the base, unless this stage set one.
      if (!state.cmdSet) cfg.cmd = undefined;
      return { change: { entrypoint: cfg.entrypoint }, text: `ENTRYPOINT ${JSON.stringify(cfg.entrypoint)}` };
    }
    case 'SHELL':
      cfg.shell = [...instr.argv];
      return { change: { shell: cfg.shell }, text: `SHELL ${JSON.stringify(cfg.shell)}` };
    case 'HEALTHCHECK': {
      const { intervalNs, timeoutNs, startPeriodNs, startIntervalNs, retries } = instr;
      cfg.healthcheck = { test: healthTest(instr), intervalNs, timeoutNs, startPeriodNs, startIntervalNs, retries };
      const flags = (
        [['interval', intervalNs], ['timeout', timeoutNs], ['start-period', startPeriodNs], ['start-interval', startIntervalNs]] as const
      ).flatMap(([n, v]) => (v ? [`--${n}=${formatGoDuration(v)}`] : []));
      if (retries !== undefined) flags.push(`--retries=${retries}`);
      const test = cfg.healthcheck.test;
      const shown = test[0] === 'NONE' ? 'NONE' : test[0] === 'CMD' ? `CMD ${JSON.stringify(test.slice(1))}` : `CMD ${test[1]}`;
      return { change: { healthcheck: cfg.healthcheck }, text: ['HEALTHCHECK', ...flags, shown].join(' ') };
    }
    case 'ONBUILD':
      cfg.onBuild.push(instr.expression);
      return { change: { onBuild: instr.expression }, text: `ONBUILD ${instr.expression.split('\n')[0]}` };
    case 'MAINTAINER':
      cfg.author = instr.maintainer;
      return { change: { author: instr.maintainer }, text: `MAINTAINER ${instr.maintainer}` };
    default:
      return undefined;
  }
}

function initialState(node: StageNode, results: ReadonlyMap<number, StageResult>, o: StageDispatchOptions): StageState {
  const base = node.base;
  if (base.kind === 'stage') return results.get(base.stage)!.state.derive();
  if (base.kind === 'image') return new StageState(configFromImage(Object.hasOwn(o.images, base.ref) ? o.images[base.ref] : undefined));
  return new StageState(emptyConfig());
}

export function dispatchStage(node: StageNode, results: ReadonlyMap<number, StageResult>, o: StageDispatchOptions): StageResult {
  const { parsed, graph } = o;
  const state = initialState(node, results, o);
  const d: DispatchContext = {
    parsed,
    state,
    expand: new Expander(state, parsed.escape, parsed.file, o.errors),
    errors: o.errors,
    contextPaths: o.contextPaths,
    images: o.imageRefs,
    allowInsecure: o.allowInsecure,
    resolveFrom: o.resolveFrom,
  };
  const platform = formatPlatform(node.platform);
  const steps: PlannedStep[] = [];
  const index = node.stage.index;
  const add = (instruction: InstructionKind, position: PlannedStep['position'], trigger: boolean, op: StepOp, text: string): void => {
    const ordinal = steps.length + 1;
    const run = op.op === 'run';
    steps.push({
      id: `${index}.${ordinal}`,
      stage: index,
      ordinal,
      instruction,
      trigger,
      position,
      parent: steps.at(-1)?.id,
      op,
      proxyEnv: run && o.proxyEnv.length > 0 ? o.proxyEnv : undefined,
      keyInput: canonicalJson({ platform, op }),
      text,
    });
  };

  const base = node.base;
  const baseText =
    base.kind === 'scratch' ? 'scratch' : base.kind === 'image' ? base.ref : `${graph.nodes[base.stage].label} (stage ${base.stage})`;
  add('FROM', node.stage.from.position, false, { op: 'from', base, platform }, `FROM ${baseText}`);

  const labelOf = (ref: SourceRef): string | undefined =>
    ref.kind === 'stage' ? graph.nodes[ref.stage].label : ref.kind === 'image' ? ref.ref : undefined;
  const all = [...node.triggers.map((i) => [i, true] as const), ...node.stage.instructions.map((i) => [i, false] as const)];
  for (const [instr, trigger] of all) {
    switch (instr.kind) {
      case 'RUN':
        add('RUN', instr.position, trigger, dispatchRun(instr, d), runText(instr));
        break;
      case 'COPY':
      case 'ADD': {
        const op = dispatchCopy(instr, d);
        const first = op.sources.find((s) => s.kind === 'path');
        add(instr.kind, instr.position, trigger, op, copyText(op, first?.kind === 'path' ? labelOf(first.from) : undefined));
        break;
      }
      case 'WORKDIR': {
        const p = d.expand.word(instr.path);
        if (p === undefined) break;
        state.config.workingDir = imagePath(state.config.workingDir, p).replace(/(.)\/$/, '$1');
        add('WORKDIR', instr.position, trigger, { op: 'workdir', path: state.config.workingDir, user: state.config.user }, `WORKDIR ${state.config.workingDir}`);
        break;
      }
      default: {
        const r = dispatchConfig(instr, d, o);
        if (r) add(instr.kind, instr.position, trigger, { op: 'config', change: r.change }, r.text);
      }
    }
  }
  return { steps, state };
}
