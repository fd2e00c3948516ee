// The Dockerfile parser: every instruction and flag into the typed model, then the problems it
// must refuse, each at its exact line:column, all of a file's problems in one report.
import { describe, expect, it } from 'vitest';
import { DockerfileError, DockerfileErrors } from '../../../src/engine/build/dockerfile/errors.js';
import type { Instruction, ParsedDockerfile, StageInstruction } from '../../../src/engine/build/dockerfile/model.js';
import { isBuiltinFrontend, parseDockerfile } from '../../../src/engine/build/dockerfile/parse.js';

/** `line:column detail` for every problem of a file, or [] when it parses. */
function problems(text: string): string[] {
  try {
    parseDockerfile(text);
    return [];
  } catch (e) {
    if (e instanceof DockerfileErrors) return e.errors.map((x) => `${x.where} ${x.detail}`);
    if (e instanceof DockerfileError) return [`${x(e)} ${e.detail}`];
    throw e;
  }
}
const x = (e: DockerfileError): string => e.where;

/** The instructions of the first stage. */
function stage0(text: string): StageInstruction[] {
  return parseDockerfile(text).stages[0].instructions;
}
function only<K extends Instruction['kind']>(text: string, kind: K): Extract<Instruction, { kind: K }> {
  const found = stage0(text).find((i) => i.kind === kind);
  if (!found) throw new Error(`no ${kind}`);
  return found as Extract<Instruction, { kind: K }>;
}

describe('FROM and stages', () => {
  it('reads scratch, images, AS names (lowercased) and --platform', () => {
    const df = parseDockerfile('FROM scratch\nFROM golang:1.22 AS Builder\nfrom --platform=$BUILDPLATFORM alpine as tools\n');
    expect(df.stages.map((s) => [s.index, s.name, s.from.image.value])).toEqual([
      [0, undefined, 'scratch'],
      [1, 'builder', 'golang:1.22'],
      [2, 'tools', 'alpine'],
    ]);
    expect(df.stages[2].from.platform).toEqual({ value: '$BUILDPLATFORM', position: { line: 3, column: 17 } });
    expect(df.stages[1].from.image.position).toEqual({ line: 2, column: 6 });
  });

  it('keeps global ARGs apart from the stages', () => {
    const df = parseDockerfile('ARG VERSION=1.0\nARG BASE\nFROM alpine:$VERSION\nARG IN_STAGE=x\n');
    expect(df.metaArgs.flatMap((a) => a.args.map((d) => [d.name.value, d.default?.value]))).toEqual([
      ['VERSION', '1.0'],
      ['BASE', undefined],
    ]);
    expect(stage0('FROM a\nARG A=1 B "C=x y"\n')).toMatchObject([
      { kind: 'ARG', args: [{ name: { value: 'A' }, default: { value: '1' } }, { name: { value: 'B' } }, { name: { value: '"C' }, default: { value: 'x y"' } }] },
    ]);
  });
});

describe('RUN', () => {
  it('shell and exec form', () => {
    expect(only('FROM a\nRUN echo "$HOME" && ls \\\n  -la\n', 'RUN').command).toEqual({ form: 'shell', text: 'echo "$HOME" && ls   -la' });
    expect(only('FROM a\nRUN ["/bin/echo", "a b"]\n', 'RUN').command).toEqual({ form: 'exec', argv: ['/bin/echo', 'a b'] });
    // Not valid JSON: the shell form, as BuildKit falls back to it.
    expect(only("FROM a\nRUN ['x']\n", 'RUN').command).toEqual({ form: 'shell', text: "['x']" });
  });

  it('drops comment and blank lines inside a continuation, warning about the blank one', () => {
    const df = parseDockerfile('FROM a\nRUN apt-get update \\\n# a comment\n\n  && apt-get install -y git\n');
    expect((df.stages[0].instructions[0] as Extract<Instruction, { kind: 'RUN' }>).command).toEqual({
      form: 'shell',
      text: 'apt-get update   && apt-get install -y git',
    });
    expect(df.warnings.map((w) => w.message)).toEqual([expect.stringContaining('empty continuation line')]);
  });

  it('heredocs: one, several, with a program, <<- and quoted delimiters', () => {
    const one = only('FROM a\nRUN <<EOF\napk add git\necho $X\nEOF\n', 'RUN');
    expect(one.command).toEqual({ form: 'shell', text: '<<EOF' });
    expect(one.heredocs).toEqual([{ name: 'EOF', content: 'apk add git\necho $X\n', expand: true, chomp: false, fd: 0, position: { line: 2, column: 5 } }]);

    const program = only('FROM a\nRUN python3 <<EOF\nprint(1)\nEOF\n', 'RUN');
    expect(program.command).toEqual({ form: 'shell', text: 'python3 <<EOF' });
    expect(program.heredocs[0].content).toBe('print(1)\n');

    const two = only('FROM a\nRUN <<A cat > /a && cat <<B > /b\nfirst\nA\nsecond\nB\n', 'RUN');
    expect(two.heredocs.map((h) => [h.name, h.content])).toEqual([['A', 'first\n'], ['B', 'second\n']]);

    const chomp = only("FROM a\nRUN <<-'EOT' sh\n\techo $NOT_EXPANDED\n\tEOT\n", 'RUN');
    expect(chomp.heredocs[0]).toMatchObject({ name: 'EOT', chomp: true, expand: false, content: '\techo $NOT_EXPANDED\n' });
  });

  it('--mount of every type with its options', () => {
    const run = only(
      'FROM a\nRUN --mount=type=cache,target=/root/.cache,id=pip,sharing=locked,mode=0700,uid=1000,gid=1000 \\\n' +
        '    --mount=type=bind,from=builder,source=/out,target=/in,rw \\\n' +
        '    --mount=type=tmpfs,target=/scratch,size=64m \\\n' +
        '    --mount=type=secret,id=npmrc,target=/root/.npmrc,required,mode=0400 \\\n' +
        '    --mount=type=secret,id=token,env=TOKEN \\\n' +
        '    --mount=type=ssh,id=github,required=true \\\n' +
        '    --mount=target=/src \\\n' +
        '    make\n',
      'RUN',
    );
    expect(run.mounts.map((m) => m.mount)).toEqual([
      { type: 'cache', target: '/root/.cache', id: 'pip', sharing: 'locked', mode: 0o700, uid: 1000, gid: 1000, readonly: false, required: false },
      { type: 'bind', from: 'builder', source: '/out', target: '/in', readonly: false, required: false },
      { type: 'tmpfs', target: '/scratch', size: 64 * 1024 * 1024, readonly: false, required: false },
      { type: 'secret', id: 'npmrc', target: '/root/.npmrc', required: true, mode: 0o400, readonly: true },
      { type: 'secret', id: 'token', env: 'TOKEN', required: false, readonly: true },
      { type: 'ssh', id: 'github', required: true, readonly: true },
      { type: 'bind', target: '/src', readonly: true, required: false },
    ]);
    expect(run.mounts[1].position).toEqual({ line: 3, column: 13 });
  });

  it('--network and --security', () => {
    expect(only('FROM a\nRUN --network=none --security=insecure true\n', 'RUN')).toMatchObject({ network: 'none', security: 'insecure' });
    expect(only('FROM a\nRUN --network=host true\n', 'RUN').network).toBe('host');
  });
});

describe('COPY and ADD', () => {
  it('every COPY flag, globs kept as written', () => {
    const c = only('FROM a\nCOPY --from=builder --chown=app:app --chmod=0644 --link --parents --exclude=*.md --exclude=.git ./src/*.go ./go.* /app/\n', 'COPY');
    expect(c).toMatchObject({
      from: { value: 'builder' },
      chown: { value: 'app:app' },
      chmod: { value: '0644' },
      link: true,
      parents: true,
      excludes: [{ value: '*.md' }, { value: '.git' }],
      sources: [{ value: './src/*.go' }, { value: './go.*' }],
      dest: { value: '/app/' },
    });
    expect(only('FROM a\nCOPY --from=0 --chmod=u+x,go-w a b\n', 'COPY').chmod?.value).toBe('u+x,go-w');
    expect(only('FROM a\nCOPY ["a b", "c d/"]\n', 'COPY').sources.map((s) => s.value)).toEqual(['a b']);
  });

  it('heredoc sources, expanded or not', () => {
    const c = only("FROM a\nCOPY <<app.conf <<-'raw.sh' /etc/\nport=$PORT\napp.conf\n\techo $HOME\n\traw.sh\n", 'COPY');
    expect(c.sources).toEqual([]);
    expect(c.contents.map((s) => [s.name, s.data, s.expand])).toEqual([
      ['app.conf', 'port=$PORT\n', true],
      ['raw.sh', 'echo $HOME\n', false],
    ]);
  });

  it('ADD: URL with --checksum, --keep-git-dir, --unpack, --exclude', () => {
    const a = only(
      'FROM a\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d --unpack=true https://example.com/x.tar.gz /opt/\n',
      'ADD',
    );
    expect(a).toMatchObject({ checksum: { value: expect.stringMatching(/^sha256:/) }, unpack: true, sources: [{ value: 'https://example.com/x.tar.gz' }] });
    expect(only('FROM a\nADD --keep-git-dir=false --exclude=*.tmp app.tar.gz /\n', 'ADD')).toMatchObject({ keepGitDir: false, unpack: undefined, excludes: [{ value: '*.tmp' }] });
  });
});

describe('the other instructions', () => {
  it('ENV and LABEL in both forms', () => {
    expect(only('FROM a\nENV A=1 B="x y" C=\n', 'ENV').pairs.map((p) => [p.key.value, p.value.value, p.legacy])).toEqual([
      ['A', '1', false],
      ['B', '"x y"', false],
      ['C', '', false],
    ]);
    expect(only('FROM a\nENV PATH /usr/local/bin:$PATH with spaces\n', 'ENV').pairs.map((p) => [p.key.value, p.value.value, p.legacy])).toEqual([
      ['PATH', '/usr/local/bin:$PATH with spaces', true],
    ]);
    expect(only('FROM a\nLABEL org.opencontainers.image.title="My app" version=1\n', 'LABEL').pairs.map((p) => p.key.value)).toEqual([
      'org.opencontainers.image.title',
      'version',
    ]);
  });

  it('WORKDIR, USER, STOPSIGNAL, MAINTAINER take the whole rest', () => {
    const s = stage0('FROM a\nWORKDIR /my app\nUSER app:staff\nSTOPSIGNAL SIGQUIT\nMAINTAINER Jane <j@example.com>\n');
    expect(s).toMatchObject([
      { kind: 'WORKDIR', path: { value: '/my app' } },
      { kind: 'USER', user: { value: 'app:staff' } },
      { kind: 'STOPSIGNAL', signal: { value: 'SIGQUIT' } },
      { kind: 'MAINTAINER', maintainer: 'Jane <j@example.com>' },
    ]);
    expect(parseDockerfile('FROM a\nMAINTAINER x\n').warnings[0].message).toMatch(/MAINTAINER is deprecated/);
  });

  it('EXPOSE, VOLUME (JSON and plain), CMD, ENTRYPOINT, SHELL', () => {
    const s = stage0(
      'FROM a\nEXPOSE 80 53/udp 8000-8010/tcp $PORT\nVOLUME ["/data", "/logs"]\nVOLUME /cache /tmp\nCMD ["npm", "start"]\nCMD npm start\nENTRYPOINT []\nENTRYPOINT exec app\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n',
    );
    expect(s).toMatchObject([
      { kind: 'EXPOSE', ports: [{ value: '80' }, { value: '53/udp' }, { value: '8000-8010/tcp' }, { value: '$PORT' }] },
      { kind: 'VOLUME', paths: [{ value: '/data' }, { value: '/logs' }] },
      { kind: 'VOLUME', paths: [{ value: '/cache' }, { value: '/tmp' }] },
      { kind: 'CMD', command: { form: 'exec', argv: ['npm', 'start'] } },
      { kind: 'CMD', command: { form: 'shell', text: 'npm start' } },
      { kind: 'ENTRYPOINT', command: { form: 'exec', argv: [] } },
      { kind: 'ENTRYPOINT', command: { form: 'shell', text: 'exec app' } },
      { kind: 'SHELL', argv: ['/bin/bash', '-o', 'pipefail', '-c'] },
    ]);
  });

  it('HEALTHCHECK NONE and CMD with every flag', () => {
    expect(only('FROM a\nHEALTHCHECK NONE\n', 'HEALTHCHECK').test).toEqual({ type: 'NONE' });
    const h = only(
      'FROM a\nHEALTHCHECK --interval=30s --timeout=1m30s --start-period=5s --start-interval=500ms --retries=3 CMD ["curl", "-f", "http://localhost/"]\n',
      'HEALTHCHECK',
    );
    expect(h).toMatchObject({
      test: { type: 'CMD', command: { form: 'exec', argv: ['curl', '-f', 'http://localhost/'] } },
      intervalNs: 30e9,
      timeoutNs: 90e9,
      startPeriodNs: 5e9,
      startIntervalNs: 500e6,
      retries: 3,
    });
    expect(only('FROM a\nHEALTHCHECK cmd wget -q -O- localhost\n', 'HEALTHCHECK').test).toEqual({ type: 'CMD', command: { form: 'shell', text: 'wget -q -O- localhost' } });
  });

  it('ONBUILD keeps its trigger parsed and its expression as the image stores it', () => {
    const o = only('FROM a\nONBUILD COPY --chown=app . /src\nONBUILD RUN <<EOF\nmake\nEOF\n', 'ONBUILD');
    expect(o.expression).toBe('COPY --chown=app . /src');
    expect(o.trigger).toMatchObject({ kind: 'COPY', chown: { value: 'app', position: { line: 2, column: 22 } } });
    const withHeredoc = stage0('FROM a\nONBUILD RUN <<EOF\nmake\nEOF\n')[0];
    expect(withHeredoc).toMatchObject({ kind: 'ONBUILD', expression: 'RUN <<EOF\nmake\nEOF', trigger: { kind: 'RUN', heredocs: [{ content: 'make\n' }] } });
  });

  it('keywords are case-insensitive', () => {
    expect(stage0('from a\nrun true\nCopy a b\n').map((i) => i.kind)).toEqual(['RUN', 'COPY']);
  });
});

describe('parser directives', () => {
  it('serves docker/dockerfile:1, 1.x, labs and docker.io/…; refuses other frontends', () => {
    for (const ok of ['docker/dockerfile:1', 'docker/dockerfile:1.4', 'docker/dockerfile:1.7.1-labs', 'docker/dockerfile', 'docker/dockerfile:labs', 'docker.io/docker/dockerfile:1', 'docker/dockerfile:1@sha256:' + 'a'.repeat(64)]) {
      expect(isBuiltinFrontend(ok), ok).toBe(true);
    }
    for (const no of ['docker/dockerfile-upstream:master', 'tonistiigi/dockerfile:runmount', 'ghcr.io/docker/dockerfile:1', 'docker/dockerfile:0.1']) {
      expect(isBuiltinFrontend(no), no).toBe(false);
    }
    expect(parseDockerfile('# syntax=docker/dockerfile:1.4\nFROM a\n').syntax).toBe('docker/dockerfile:1.4');
    expect(problems('# syntax=tonistiigi/dockerfile:runmount\nFROM a\n')).toEqual([
      '1:3 the Dockerfile frontend "tonistiigi/dockerfile:runmount" named by # syntax is not supported',
    ]);
  });

  it('# escape=` makes the backtick the escape and continuation character', () => {
    const df = parseDockerfile('# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir c:\\ `\n  && echo done\nENV P=C:\\app `\n  Q=1\n');
    expect(df.escape).toBe('`');
    const [run, env] = df.stages[0].instructions;
    expect(run).toMatchObject({ command: { text: 'dir c:\\   && echo done' } });
    expect(env).toMatchObject({ pairs: [{ key: { value: 'P' }, value: { value: 'C:\\app' } }, { key: { value: 'Q' } }] });
  });

  it('# check= is accepted; directives after a comment are comments', () => {
    expect(parseDockerfile('# check=skip=all\nFROM a\n').check).toBe('skip=all');
    expect(parseDockerfile('# hello\n# escape=`\nFROM a\nRUN a `\n').escape).toBe('\\');
  });
});

describe('problems, each at its line:column', () => {
  const cases: [string, string, string[]][] = [
    ['unknown instruction, with a suggestion', 'FROM a\nRUNN echo\n', ['2:1 unknown instruction: RUNN']],
    ['unknown flag', 'FROM a\nCOPY --frm=builder a b\n', ['2:6 unknown flag: --frm']],
    ['string flag without a value', 'FROM a\nCOPY --from a b\n', ['2:6 missing a value on flag: --from']],
    ['bool flag with a bad value', 'FROM a\nCOPY --link=maybe a b\n', ['2:13 expecting boolean value for flag --link, not: maybe']],
    ['duplicate flag', 'FROM a\nCOPY --from=a --from=b x y\n', ['2:15 duplicate flag specified: --from']],
    ['a flag on an instruction without flags', 'FROM a\nWORKDIR --x=1 /a\n', ['2:9 unknown flag: --x']],
    ['FROM with two words', 'FROM a b\n', ['1:6 FROM requires either one or three arguments']],
    ['invalid stage name', 'FROM a AS 1st\n', ['1:11 invalid name for build stage: "1st", name can\'t start with a number or contain symbols']],
    ['WORKDIR without argument', 'FROM a\nWORKDIR\n', ['2:1 WORKDIR requires exactly one argument']],
    ['COPY with one argument', 'FROM a\nCOPY onlyone\n', ['2:6 COPY requires at least two arguments, but only one was provided. Destination could not be determined']],
    ['ARG without name', 'FROM a\nARG\n', ['2:1 ARG requires at least one argument']],
    ['ARG with a blank name', 'FROM a\nARG =1\n', ['2:5 ARG names can not be blank']],
    ['ENV word without =', 'FROM a\nENV A=1 B\n', ['2:9 Syntax error - can\'t find = in "B". Must be of the form: name=value']],
    ['ENV legacy with one word', 'FROM a\nENV A\n', ['2:5 ENV must have two arguments']],
    ['SHELL not in JSON form', 'FROM a\nSHELL /bin/bash -c\n', ['2:7 SHELL requires the arguments to be in JSON form']],
    ['JSON with a number', 'FROM a\nCMD ["a", 1]\n', ['2:5 when using JSON array syntax, arrays must be comprised of strings only']],
    ['bad duration', 'FROM a\nHEALTHCHECK --interval=5x CMD true\n', ['2:24 --interval: invalid duration "5x"']],
    ['duration under 1ms', 'FROM a\nHEALTHCHECK --timeout=10us CMD true\n', ['2:23 --timeout: Interval "timeout" cannot be less than 1ms']],
    ['negative retries', 'FROM a\nHEALTHCHECK --retries=-1 CMD true\n', ['2:23 --retries cannot be negative (-1)']],
    ['HEALTHCHECK NONE with a command', 'FROM a\nHEALTHCHECK NONE true\n', ['2:18 HEALTHCHECK NONE takes no arguments']],
    ['HEALTHCHECK with an unknown type', 'FROM a\nHEALTHCHECK RUN true\n', ['2:13 Unknown type "RUN" in HEALTHCHECK (try CMD)']],
    ['invalid --chmod', 'FROM a\nCOPY --chmod=999 a b\n', ['2:14 invalid --chmod value "999"']],
    ['invalid stop signal', 'FROM a\nSTOPSIGNAL SIGFOO\n', ['2:12 invalid signal: SIGFOO']],
    ['invalid port', 'FROM a\nEXPOSE 80/tcpx\n', ['2:8 invalid port "80/tcpx": unknown protocol "tcpx"']],
    ['empty volume', 'FROM a\nVOLUME ["/a", " "]\n', ['2:8 VOLUME specified can not be an empty string']],
    ['unknown mount type', 'FROM a\nRUN --mount=type=cachee,target=/x true\n', ['2:13 invalid --mount: unsupported mount type "cachee"']],
    ['mount option for the wrong type', 'FROM a\nRUN --mount=type=bind,target=/x,mode=0700 true\n', ['2:13 invalid --mount: mode not allowed for "bind" type mounts']],
    ['unknown mount key', 'FROM a\nRUN --mount=type=cache,tagret=/x true\n', ["2:13 invalid --mount: unexpected key 'tagret' in 'tagret=/x'"]],
    ['mount from a variable', 'FROM a\nRUN --mount=from=$STAGE,target=/x true\n', ["2:13 invalid --mount: 'from' doesn't support variable expansion"]],
    ['unsupported network', 'FROM a\nRUN --network=bridge true\n', ['2:15 unsupported network mode "bridge"']],
    ['unsupported security', 'FROM a\nRUN --security=privileged true\n', ['2:16 unsupported security mode "privileged"']],
    ['COPY --from a variable', 'FROM a\nCOPY --from=$IMG /a /b\n', ["2:13 'from' doesn't support variable expansion"]],
    ['ADD of a git repository', 'FROM a\nADD --keep-git-dir https://github.com/moby/buildkit.git#v0.13.0 /src\n', ['2:20 ADD of a git repository (https://github.com/moby/buildkit.git#v0.13.0) is not supported']],
    ['ADD --checksum of a local file', 'FROM a\nADD --checksum=sha256:' + 'a'.repeat(64) + ' app.tar /\n', ["2:16 checksum can't be specified for non-HTTP(S) sources"]],
    ['ADD --checksum malformed', 'FROM a\nADD --checksum=md5:abc https://x/y /\n', ['2:16 invalid checksum "md5:abc"']],
    ['heredoc as destination', 'FROM a\nCOPY a <<EOF\nx\nEOF\n', ['2:8 COPY cannot accept a heredoc as a destination']],
    ['unterminated heredoc', 'FROM a\nRUN <<EOF\necho never ends\n', ['2:5 unterminated heredoc EOF']],
    ['instruction before FROM', 'RUN true\nFROM a\n', ['1:1 RUN before the first FROM']],
    ['ONBUILD ONBUILD', 'FROM a\nONBUILD ONBUILD RUN x\n', ["2:9 Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"]],
    ['ONBUILD FROM', 'FROM a\nONBUILD FROM b\n', ["2:9 FROM isn't allowed as an ONBUILD trigger"]],
    ['a bad trigger is located inside the ONBUILD line', 'FROM a\nONBUILD COPY --nope a b\n', ['2:14 unknown flag: --nope']],
    ['invalid escape directive', '# escape=x\nFROM a\n', ['1:10 invalid escape token \'x\' does not match ` or \\']],
    ['repeated directive', '# escape=\\\n# escape=`\nFROM a\n', ['2:3 only one escape parser directive can be used']],
    ['no FROM at all', 'ARG A=1\n', [' the Dockerfile has no FROM instruction']],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    const got = problems(text);
    expect(got).toHaveLength(expected.length);
    got.forEach((g, i) => expect(g.startsWith(expected[i]), `${g} should start with ${expected[i]}`).toBe(true));
  });

  it('reports every problem of the file at once, in file order, with hints', () => {
    let err: unknown;
    try {
      parseDockerfile('FROM a AS 1bad\nRUNN x\nCOPY --chmod=9 a b\nHEALTHCHECK --interval=1x CMD true\nFROM b\nWORKDIR\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DockerfileErrors);
    const all = (err as DockerfileErrors).errors;
    expect(all.map((e) => e.where)).toEqual(['1:11', '2:1', '3:14', '4:24', '6:1']);
    expect(all[1].message).toBe('Dockerfile:2:1: unknown instruction: RUNN (did you mean RUN?)');
    expect((err as Error).message).toMatch(/^5 problems:\n {2}Dockerfile:1:11: invalid name for build stage/);
  });

  it('an empty file says so', () => {
    expect(() => parseDockerfile('\n# only a comment\n')).toThrow(/Dockerfile: the Dockerfile has no FROM instruction|the Dockerfile cannot be empty/);
    expect(() => parseDockerfile('')).toThrow('Dockerfile: the Dockerfile cannot be empty');
  });
});

describe('warnings', () => {
  it('duplicate and reserved stage names warn, as BuildKit lint does', () => {
    const df: ParsedDockerfile = parseDockerfile('FROM a AS x\nFROM b AS x\nFROM c AS scratch\n');
    expect(df.warnings.map((w) => `${w.location?.line}:${w.location?.column} ${w.message}`)).toEqual([
      '2:11 duplicate stage name "x" (first at line 1)',
      '3:11 "scratch" is a reserved name; name the stage differently',
    ]);
  });
});
