// The planner: ARG/ENV scoping and build args, expansion in the instructions BuildKit expands
// (and not in RUN/CMD/ENTRYPOINT), the step each instruction becomes, stage resolution errors,
// ONBUILD triggers, and cache-key inputs.
import { describe, expect, it } from 'vitest';
import { DockerfileError, DockerfileErrors } from '../../../src/engine/build/dockerfile/errors.js';
import { parseDockerfile } from '../../../src/engine/build/dockerfile/parse.js';
import { planBuild, stepCacheKey, type PlanOptions } from '../../../src/engine/build/plan/plan.js';
import type { BuildPlan, PlannedStep, StepOp } from '../../../src/engine/build/plan/types.js';

const plan = (text: string, opts: PlanOptions = {}): BuildPlan => planBuild(parseDockerfile(text), opts);
const lastStage = (p: BuildPlan) => p.stages[p.stages.length - 1];
const ops = (p: BuildPlan, stage = p.stages.length - 1): StepOp[] => p.stages[stage].steps.map((s) => s.op);
function opOf<K extends StepOp['op']>(step: PlannedStep | undefined, kind: K): Extract<StepOp, { op: K }> {
  if (!step || step.op.op !== kind) throw new Error(`expected a ${kind} step, got ${step?.op.op}`);
  return step.op as Extract<StepOp, { op: K }>;
}
const stepOf = (p: BuildPlan, instruction: string, nth = 0): PlannedStep =>
  p.stages.flatMap((s) => s.steps).filter((s) => s.instruction === instruction)[nth];
function problems(text: string, opts: PlanOptions = {}): string[] {
  try {
    plan(text, opts);
    return [];
  } catch (e) {
    if (e instanceof DockerfileErrors) return e.errors.map((x) => `${x.where} ${x.detail}`);
    if (e instanceof DockerfileError) return [`${e.where} ${e.detail}`];
    throw e;
  }
}

describe('ARG scoping and build args', () => {
  it('global ARGs expand FROM; a stage sees them only after ARG NAME re-declares them', () => {
    const p = plan('ARG TAG=3.19\nARG REPO=alpine\nFROM $REPO:${TAG}\nRUN echo $TAG\nARG TAG\nRUN echo $TAG\n');
    expect(lastStage(p).base).toEqual({ kind: 'image', ref: 'docker.io/library/alpine:3.19', resolved: false });
    const [before, after] = [stepOf(p, 'RUN', 0), stepOf(p, 'RUN', 1)];
    expect(opOf(before, 'run').env).not.toContain('TAG=3.19');
    expect(opOf(after, 'run').env).toContain('TAG=3.19');
  });

  it('build args override the defaults of declared ARGs only, and unused ones are reported', () => {
    const p = plan('ARG V=1\nFROM alpine:$V\nARG MODE=debug\nRUN make $MODE\n', { buildArgs: { V: '2', MODE: 'release', EXTRA: 'x', HTTP_PROXY: 'http://p:3128', BUILDKIT_INLINE_CACHE: '1' } });
    expect(lastStage(p).base).toMatchObject({ ref: 'docker.io/library/alpine:2' });
    expect(opOf(stepOf(p, 'RUN'), 'run').env).toContain('MODE=release');
    expect(p.unusedBuildArgs).toEqual(['EXTRA']);
    expect(p.warnings.map((w) => w.message)).toContain('one or more build args were not consumed: EXTRA');
  });

  it('an undeclared build arg never reaches a stage', () => {
    const p = plan('FROM alpine\nWORKDIR /$SECRET\nRUN true\n', { buildArgs: { SECRET: 'x' } });
    expect(opOf(stepOf(p, 'WORKDIR'), 'workdir').path).toBe('/');
    expect(opOf(stepOf(p, 'RUN'), 'run').env.join(' ')).not.toContain('SECRET');
  });

  it('ARG defaults expand with what is defined before them; the last of ENV and ARG wins', () => {
    // Checked against dockerd 20.10's BuildKit: ENV after ARG overrides it, and an ARG with a
    // value after an ENV overrides the ENV for the rest of the stage (not in the image).
    const p = plan('FROM alpine\nENV BASE=/opt\nARG DIR=$BASE/app\nWORKDIR $DIR\nARG BASE=/override\nRUN true\nARG X=arg\nENV X=env\nRUN true\n');
    expect(opOf(stepOf(p, 'WORKDIR'), 'workdir').path).toBe('/opt/app');
    expect(opOf(stepOf(p, 'RUN', 0), 'run').env).toContain('BASE=/override');
    expect(opOf(stepOf(p, 'RUN', 1), 'run').env).toContain('X=env');
    expect(lastStage(p).config.env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'BASE=/opt', 'X=env']);
    // An ARG without a value leaves an ENV of the same name alone.
    expect(opOf(stepOf(plan('FROM alpine\nENV Y=env\nARG Y\nRUN true\n'), 'RUN'), 'run').env).toContain('Y=env');
  });

  it('the automatic platform ARGs: global in FROM, in a stage only when declared', () => {
    const p = plan('FROM --platform=$BUILDPLATFORM golang AS build\nARG TARGETOS TARGETARCH\nRUN GOOS=$TARGETOS go build\nFROM alpine\nRUN echo $TARGETARCH\nCOPY --from=build /out /out\n', {
      buildPlatform: 'linux/amd64',
      targetPlatform: 'linux/arm64',
    });
    expect(p.stages[0].platform).toBe('linux/amd64');
    expect(p.stages[1].platform).toBe('linux/arm64');
    expect(opOf(stepOf(p, 'RUN', 0), 'run').env).toEqual(expect.arrayContaining(['TARGETOS=linux', 'TARGETARCH=arm64']));
    expect(opOf(stepOf(p, 'RUN', 1), 'run').env.join(' ')).not.toContain('TARGETARCH');
    expect(p.targetPlatform).toBe('linux/arm64');
  });

  it('a stage built on another inherits its ENV and, as in BuildKit, its ARGs', () => {
    const p = plan('FROM alpine AS base\nARG V=1\nENV E=2\nFROM base\nRUN true\n');
    expect(opOf(stepOf(p, 'RUN'), 'run').env).toEqual(expect.arrayContaining(['E=2', 'V=1']));
    expect(lastStage(p).config.env).toContain('E=2');
    expect(lastStage(p).config.env.join(' ')).not.toContain('V=1');
  });

  it('proxy build args reach RUN without ARG but stay out of the image and the cache key', () => {
    const withProxy = plan('FROM alpine\nRUN apk add git\n', { buildArgs: { HTTPS_PROXY: 'http://proxy:3128' } });
    const without = plan('FROM alpine\nRUN apk add git\n');
    const run = stepOf(withProxy, 'RUN');
    expect(run.proxyEnv).toEqual(['HTTPS_PROXY=http://proxy:3128']);
    expect(opOf(run, 'run').env.join(' ')).not.toContain('PROXY');
    expect(run.keyInput).toBe(stepOf(without, 'RUN').keyInput);
    expect(withProxy.unusedBuildArgs).toEqual([]);
  });
});

describe('expansion happens where BuildKit does it, and only there', () => {
  it('expands ENV, LABEL, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL, COPY/ADD and their flags', () => {
    const p = plan(
      'FROM alpine\nARG APP=web PORT=8080 OWNER=app SIG=SIGINT\nENV HOME_DIR=/srv/$APP GREETING="hello world"\nLABEL name=$APP "path"="${HOME_DIR}"\n' +
        'WORKDIR $HOME_DIR\nUSER $OWNER:$OWNER\nEXPOSE $PORT ${PORT}/udp\nVOLUME $HOME_DIR/data\nSTOPSIGNAL $SIG\n' +
        'COPY --chown=$OWNER --chmod=0755 --exclude=$APP.md $APP/ ./\nRUN echo $GREETING\nCMD echo $APP\n',
    );
    const s = lastStage(p);
    expect(s.config).toMatchObject({
      workingDir: '/srv/web',
      user: 'app:app',
      exposedPorts: ['8080/tcp', '8080/udp'],
      volumes: ['/srv/web/data'],
      stopSignal: 'SIGINT',
      labels: { name: 'web', path: '/srv/web' },
    });
    expect(s.config.env).toEqual(expect.arrayContaining(['HOME_DIR=/srv/web', 'GREETING=hello world']));
    expect(opOf(stepOf(p, 'COPY'), 'copy')).toMatchObject({
      chown: 'app',
      chmod: { kind: 'octal', mode: 0o755 },
      excludes: ['web.md'],
      sources: [{ kind: 'path', from: { kind: 'context' }, path: 'web', wildcard: false }],
      dest: '/srv/web/',
      destIsDir: true,
    });
    // RUN and CMD text is the shell's business.
    expect(opOf(stepOf(p, 'RUN'), 'run').argv).toEqual(['/bin/sh', '-c', 'echo $GREETING']);
    expect(s.config.cmd).toEqual(['/bin/sh', '-c', 'echo $APP']);
  });

  it('ENV pairs of one instruction all see the variables from before it', () => {
    const p = plan('FROM alpine\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n');
    expect(lastStage(p).config.env).toEqual(expect.arrayContaining(['abc=bye', 'def=hello', 'ghi=bye']));
  });

  it('a bad expansion is an error at the word', () => {
    expect(problems('FROM alpine\nENV A=${B:?required}\n')).toEqual(['2:7 failed to process "${B:?required}": B: required']);
    expect(problems('ARG TAG\nFROM alpine:${TAG:?required}\n')).toEqual(['2:6 failed to process "alpine:${TAG:?required}": TAG: required']);
  });

  it('COPY heredocs expand unless the delimiter is quoted, keeping their quotes', () => {
    const p = plan("FROM alpine\nARG NAME=world\nCOPY <<a.sh <<'b.sh' /\necho \"hi $NAME\"\na.sh\necho $NAME\nb.sh\n");
    expect(opOf(stepOf(p, 'COPY'), 'copy').sources).toEqual([
      { kind: 'inline', name: 'a.sh', data: 'echo "hi world"\n' },
      { kind: 'inline', name: 'b.sh', data: 'echo $NAME\n' },
    ]);
  });
});

describe('each instruction becomes its step', () => {
  it('RUN: shell, exec, SHELL, heredocs (plain, with a shebang, in a longer command)', () => {
    const p = plan(
      'FROM alpine\nRUN echo a\nRUN ["echo", "b"]\nSHELL ["/bin/bash", "-c"]\nRUN echo c\nRUN <<EOF\necho d\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nRUN python3 <<EOF > /out\nprint(2)\nEOF\n',
    );
    const runs = ops(p).filter((o): o is Extract<StepOp, { op: 'run' }> => o.op === 'run');
    expect(runs.map((r) => r.argv)).toEqual([
      ['/bin/sh', '-c', 'echo a'],
      ['echo', 'b'],
      ['/bin/bash', '-c', 'echo c'],
      ['/bin/bash', '-c', 'echo d\n'],
      ['/dev/pipes/EOF'],
      ['/bin/bash', '-c', 'python3 <<EOF > /out\nprint(2)\nEOF'],
    ]);
    expect(runs[4].files).toEqual([{ path: '/dev/pipes/EOF', data: '#!/usr/bin/env python3\nprint(1)\n', mode: 0o755 }]);
    expect(runs[0]).toMatchObject({ cwd: '/', user: '', network: 'default', security: 'sandbox' });
  });

  it('RUN mounts: variables expanded, defaults filled in, relative targets from WORKDIR', () => {
    const p = plan(
      'FROM golang AS deps\nFROM alpine\nWORKDIR /src\nARG CACHE=/root/.cache\n' +
        'RUN --mount=type=cache,target=$CACHE --mount=type=bind,from=deps,source=/go/pkg,target=pkg --mount=type=secret,id=npmrc --mount=type=ssh --mount=target=. --mount=type=tmpfs,target=/tmp,size=1g make\n',
    );
    expect(opOf(stepOf(p, 'RUN'), 'run').mounts).toEqual([
      { type: 'cache', target: '/root/.cache', from: { kind: 'scratch' }, source: '.', readonly: false, id: '/root/.cache', sharing: 'shared', required: false },
      { type: 'bind', target: '/src/pkg', from: { kind: 'stage', stage: 0 }, source: 'go/pkg', readonly: true, required: false },
      { type: 'secret', target: '/run/secrets/npmrc', from: { kind: 'scratch' }, readonly: true, id: 'npmrc', required: false },
      { type: 'ssh', target: '/run/buildkit/ssh_agent.0', from: { kind: 'scratch' }, readonly: true, id: 'default', required: false, mode: 0o600 },
      { type: 'bind', target: '/src', from: { kind: 'context' }, source: '.', readonly: true, required: false },
      { type: 'tmpfs', target: '/tmp', from: { kind: 'scratch' }, readonly: false, required: false, size: 1024 ** 3 },
    ].map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined))));
    expect(p.stages.map((s) => s.index)).toEqual([0, 1]);
    expect(lastStage(p).dependsOn).toEqual([0]);
    expect(p.contextPaths).toEqual(['.']);
  });

  it('RUN --security=insecure needs the entitlement', () => {
    expect(problems('FROM alpine\nRUN --security=insecure mount -t tmpfs x /mnt\n')).toEqual(['2:16 RUN --security=insecure is not allowed for this build']);
    expect(opOf(stepOf(plan('FROM alpine\nRUN --security=insecure true\n', { allowInsecure: true }), 'RUN'), 'run').security).toBe('insecure');
  });

  it('COPY/ADD: sources by origin, destination from WORKDIR, ADD extraction and URLs', () => {
    const p = plan(
      'FROM alpine AS build\nFROM alpine\nWORKDIR /app\nCOPY --from=build /out/bin ./bin\nCOPY --from=0 / /rootfs/\nCOPY --from=nginx:1.25 /etc/nginx/nginx.conf /etc/\n' +
        'COPY src/*.go go.mod ./\nADD app.tar.gz /opt\nADD --unpack=false app.tar.gz /keep/\nADD --checksum=sha256:' + 'a'.repeat(64) + ' https://example.com/tool.tgz /usr/local/bin/\n',
    );
    const copies = ops(p).filter((o): o is Extract<StepOp, { op: 'copy' }> => o.op === 'copy');
    expect(copies.map((c) => [c.sources, c.dest, c.destIsDir, c.extract])).toEqual([
      [[{ kind: 'path', from: { kind: 'stage', stage: 0 }, path: 'out/bin', wildcard: false }], '/app/bin', false, false],
      [[{ kind: 'path', from: { kind: 'stage', stage: 0 }, path: '.', wildcard: false }], '/rootfs/', true, false],
      [[{ kind: 'path', from: { kind: 'image', ref: 'docker.io/library/nginx:1.25' }, path: 'etc/nginx/nginx.conf', wildcard: false }], '/etc/', true, false],
      [[{ kind: 'path', from: { kind: 'context' }, path: 'src/*.go', wildcard: true }, { kind: 'path', from: { kind: 'context' }, path: 'go.mod', wildcard: false }], '/app/', true, false],
      [[{ kind: 'path', from: { kind: 'context' }, path: 'app.tar.gz', wildcard: false }], '/opt', false, true],
      [[{ kind: 'path', from: { kind: 'context' }, path: 'app.tar.gz', wildcard: false }], '/keep/', true, false],
      [[{ kind: 'url', url: 'https://example.com/tool.tgz', checksum: 'sha256:' + 'a'.repeat(64), extract: false }], '/usr/local/bin/', true, true],
    ]);
    expect(p.images).toEqual(['docker.io/library/alpine:latest', 'docker.io/library/nginx:1.25']);
    expect(p.contextPaths).toEqual(['app.tar.gz', 'go.mod', 'src/*.go']);
  });

  it('refuses sources that climb out of the context, and git sources', () => {
    expect(problems('FROM alpine\nARG UP=..\nCOPY $UP/secret /x\nCOPY ok/../../etc/passwd /y\n')).toEqual([
      '3:6 COPY source "../secret" is outside the build context',
      '4:6 COPY source "ok/../../etc/passwd" is outside the build context',
    ]);
    expect(problems('FROM alpine\nARG REPO=git@github.com:moby/moby.git\nADD $REPO /src\n')).toEqual([
      '3:5 ADD of a git repository (git@github.com:moby/moby.git) is not supported',
    ]);
    // Inside a stage `..` stops at the root, as in BuildKit.
    expect(opOf(stepOf(plan('FROM alpine AS a\nFROM alpine\nCOPY --from=a ../../x /x\n'), 'COPY'), 'copy').sources[0]).toMatchObject({ path: 'x' });
  });

  it('WORKDIR relative to the previous one; ENTRYPOINT drops an inherited CMD; metadata steps', () => {
    const p = plan('FROM alpine AS base\nCMD ["base"]\nFROM base\nWORKDIR /a\nWORKDIR b/../c\nENTRYPOINT ["app"]\nHEALTHCHECK --interval=30s --retries=2 CMD ["curl", "x"]\nONBUILD RUN make\nMAINTAINER me\n');
    const s = lastStage(p);
    expect(s.steps.filter((x) => x.op.op === 'workdir').map((x) => (x.op as { path: string }).path)).toEqual(['/a', '/a/c']);
    expect(s.config).toMatchObject({
      entrypoint: ['app'],
      cmd: undefined,
      healthcheck: { test: ['CMD', 'curl', 'x'], intervalNs: 30e9, retries: 2 },
      onBuild: ['RUN make'],
      author: 'me',
    });
    expect(plan('FROM alpine\nCMD ["x"]\nENTRYPOINT ["y"]\n').stages[0].config.cmd).toEqual(['x']);
  });
});

describe('stages: resolution, errors, triggers', () => {
  it('FROM a stage defined later is an error; the stage named like its own image is not', () => {
    expect(problems('FROM builder\nRUN true\nFROM golang AS builder\n')).toEqual(['1:6 FROM builder refers to the stage "builder" defined later, at line 3']);
    expect(plan('FROM nginx AS nginx\nRUN true\n').stages[0].base).toMatchObject({ kind: 'image', ref: 'docker.io/library/nginx:latest' });
  });

  it('COPY --from: unknown names that are not images, bad indices, cycles', () => {
    expect(problems('FROM alpine\nCOPY --from=Not_An_Image /a /b\n')).toEqual(['2:13 COPY --from=Not_An_Image is neither a stage of this Dockerfile nor a valid image reference']);
    expect(problems('FROM alpine\nCOPY --from=3 /a /b\n')).toEqual(['2:13 invalid stage index 3']);
    expect(problems('FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nCOPY --from=a /y /y\n')).toEqual(['2:13 circular dependency between stages: a → b → a']);
    expect(problems('FROM alpine AS a\nRUN --mount=from=a,target=/m true\n')).toEqual(['2:13 circular dependency between stages: a → a']);
  });

  it('an unknown target names the stages there are', () => {
    let err: unknown;
    try {
      plan('FROM alpine AS one\nFROM alpine AS two\n', { target: 'three' });
    } catch (e) {
      err = e;
    }
    expect((err as DockerfileError).message).toBe('Dockerfile: target stage "three" could not be found (stages are one, two)');
  });

  it('runs ONBUILD triggers of a base stage and of a base image config, first', () => {
    const p = plan('FROM alpine AS base\nONBUILD COPY . /src\nONBUILD RUN make\nFROM base\nRUN test\n');
    expect(lastStage(p).steps.map((s) => [s.trigger, s.text])).toEqual([
      [false, 'FROM base (stage 0)'],
      [true, 'COPY . /src'],
      [true, 'RUN make'],
      [false, 'RUN test'],
    ]);
    const fromImage = plan('FROM example/onbuild:1\nRUN test\n', {
      images: { 'docker.io/example/onbuild:1': { env: ['PATH=/usr/bin', 'APP_HOME=/app'], workingDir: '/app', onBuild: ['COPY . $APP_HOME', 'RUN npm ci'] } },
    });
    const s = lastStage(fromImage);
    expect(s.base).toEqual({ kind: 'image', ref: 'docker.io/example/onbuild:1', resolved: true });
    expect(s.steps.map((x) => x.text)).toEqual(['FROM docker.io/example/onbuild:1', 'COPY . /app', 'RUN npm ci', 'RUN test']);
    expect(opOf(s.steps[3], 'run')).toMatchObject({ cwd: '/app', env: ['PATH=/usr/bin', 'APP_HOME=/app'] });
    expect(s.config.onBuild).toEqual([]);
  });

  it('a broken trigger of a base image is reported at the FROM that brought it', () => {
    expect(problems('ARG X\nFROM example/bad\n', { images: { 'docker.io/example/bad:latest': { onBuild: ['COPY --nope a b'] } } })).toEqual([
      '2:1 ONBUILD trigger of the base "COPY --nope a b": unknown flag: --nope',
    ]);
  });
});

describe('cache-key inputs', () => {
  const text = 'FROM alpine\nARG V=1\nWORKDIR /app\nCOPY . .\nRUN make V=$V\n';
  it('are the same for the same Dockerfile and inputs, and differ where an input differs', () => {
    const a = plan(text);
    const b = plan(text);
    expect(a.stages[0].steps.map((s) => s.keyInput)).toEqual(b.stages[0].steps.map((s) => s.keyInput));
    const c = plan(text, { buildArgs: { V: '2' } });
    const runA = stepOf(a, 'RUN');
    const runC = stepOf(c, 'RUN');
    expect(runA.keyInput).not.toBe(runC.keyInput);
    expect(stepOf(a, 'COPY').keyInput).toBe(stepOf(c, 'COPY').keyInput);
    expect(JSON.parse(runA.keyInput)).toEqual({ op: expect.objectContaining({ op: 'run', argv: ['/bin/sh', '-c', 'make V=$V'] }), platform: 'linux/amd64' });
  });

  it('stepCacheKey chains the parent key and the content digests', () => {
    const copy = stepOf(plan(text), 'COPY');
    const k1 = stepCacheKey(copy, 'sha256:parent', ['sha256:ctx1']);
    expect(k1).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(stepCacheKey(copy, 'sha256:parent', ['sha256:ctx1'])).toBe(k1);
    expect(stepCacheKey(copy, 'sha256:parent', ['sha256:ctx2'])).not.toBe(k1);
    expect(stepCacheKey(copy, 'sha256:other', ['sha256:ctx1'])).not.toBe(k1);
  });

  it('the platform is part of every step key', () => {
    const amd = stepOf(plan('FROM alpine\nRUN true\n'), 'RUN');
    const arm = stepOf(plan('FROM alpine\nRUN true\n', { targetPlatform: 'linux/arm64' }), 'RUN');
    expect(amd.keyInput).not.toBe(arm.keyInput);
  });
});

describe('likely mistakes that still build', () => {
  it('warns when a bare FROM or --from name is a typo away from a stage', () => {
    const p = plan('FROM golang AS builder\nFROM alpine AS app\nCOPY --from=buidler /out /out\nFROM biulder\n');
    expect(p.warnings.map((w) => `${w.location?.line}:${w.location?.column} ${w.message}`)).toEqual([
      '3:13 COPY --from=buidler is read as an image; did you mean the stage "builder"?',
      '4:6 FROM biulder is read as an image; did you mean the stage "builder"?',
    ]);
  });

  it('a bare global ARG for an automatic platform ARG only declares it', () => {
    const p = plan('ARG TARGETARCH\nFROM alpine:$TARGETARCH\n', { targetPlatform: 'linux/arm64' });
    expect(lastStage(p).base).toMatchObject({ ref: 'docker.io/library/alpine:arm64' });
  });
});
