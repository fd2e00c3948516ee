// Short-syntax tables: ports (compose-go types/types_test.go TestParsePortConfig and
// transform/ports_test.go, plus the range and IPv6 forms), volumes (format/volume_test.go)
// and command-line splitting (mattn/go-shellwords, as compose uses it).
import { describe, expect, it } from 'vitest';
import { splitShellWords } from '../../src/loader/normalize/command.js';
import { parsePortSpec } from '../../src/loader/normalize/ports.js';
import { isFilePath, parseVolumeSpec } from '../../src/loader/normalize/volumes.js';

const p = (target: number, extra: Record<string, string> = {}) => ({ mode: 'ingress', protocol: 'tcp', target, ...extra });

describe('parsePortSpec', () => {
  const table: [string, unknown[]][] = [
    // compose-go TestParsePortConfig
    ['80', [p(80)]],
    ['80:8080', [p(8080, { published: '80' })]],
    ['80-90:8080', [p(8080, { published: '80-90' })]],
    ['8080:80/tcp', [p(80, { published: '8080' })]],
    ['80:8080/udp', [p(8080, { published: '80', protocol: 'udp' })]],
    ['80-81:8080-8081/tcp', [p(8080, { published: '80' }), p(8081, { published: '81' })]],
    ['80-82:8080-8082/udp', [8080, 8081, 8082].map((t, i) => p(t, { published: String(80 + i), protocol: 'udp' }))],
    ['80-82:8080/udp', [p(8080, { published: '80-82', protocol: 'udp' })]],
    ['80-80:8080/tcp', [p(8080, { published: '80' })]],
    ['1.1.1.1:80:80', [p(80, { published: '80', host_ip: '1.1.1.1' })]],
    // compose-go transform/ports_test.go
    ['127.0.0.1:8080:80', [p(80, { published: '8080', host_ip: '127.0.0.1' })]],
    ['127.0.0.1:8081:81', [p(81, { published: '8081', host_ip: '127.0.0.1' })]],
    // further forms
    ['127.0.0.1::80', [p(80, { host_ip: '127.0.0.1' })]],
    ['127.0.0.1:8080:80/udp', [p(80, { published: '8080', host_ip: '127.0.0.1', protocol: 'udp' })]],
    ['[::1]:80:80', [p(80, { published: '80', host_ip: '::1' })]],
    ['[2001:db8::1]::53/udp', [p(53, { host_ip: '2001:db8::1', protocol: 'udp' })]],
    ['::1:80:80', [p(80, { published: '80', host_ip: '::1' })]],
    ['0.0.0.0:5000:5000/UDP', [p(5000, { published: '5000', host_ip: '0.0.0.0', protocol: 'udp' })]],
    ['3000-3002', [p(3000), p(3001), p(3002)]],
    ['9090-9091:8080-8081', [p(8080, { published: '9090' }), p(8081, { published: '9091' })]],
    ['127.0.0.1:5000-5001:6000-6001', [p(6000, { published: '5000', host_ip: '127.0.0.1' }), p(6001, { published: '5001', host_ip: '127.0.0.1' })]],
    ['80/sctp', [p(80, { protocol: 'sctp' })]],
    ['80/', [p(80)]],
    ['0', [p(0)]],
    ['65535', [p(65535)]],
    // sorted by the "port/proto" string, as compose-go sorts nat.PortSet keys
    ['9-10', [p(10), p(9)]],
  ];
  for (const [spec, expected] of table) {
    it(spec, () => expect(parsePortSpec(spec)).toEqual(expected));
  }

  const errors: [string, string][] = [
    ['9999999', 'Invalid containerPort: 9999999'],
    ['80/xyz', 'Invalid proto: xyz'],
    ['tcp', 'Invalid containerPort: tcp'],
    ['udp', 'Invalid containerPort: udp'],
    ['', 'No port specified: <empty>'],
    ['127.0.1:8080:80', 'Invalid ip address: 127.0.1'],
    ['localhost:80:80', 'Invalid ip address: localhost'],
    ['[::1:80:80', 'Invalid ip address: [:'],
    ['abc:80', 'Invalid hostPort: abc'],
    ['70000:80', 'Invalid hostPort: 70000'],
    ['81-80', 'Invalid containerPort: 81-80'],
    ['80:8080-8081', 'Invalid ranges specified for container and host Ports: 8080-8081 and 80'],
    ['80-82:8080-8081', 'Invalid ranges specified for container and host Ports: 8080-8081 and 80-82'],
    ['8080:', 'No port specified: 8080:<empty>'],
  ];
  for (const [spec, message] of errors) {
    it(`refuses ${JSON.stringify(spec)}`, () => expect(() => parsePortSpec(spec)).toThrow(message));
  }
});

const bind = (source: string, target: string, extra: Record<string, unknown> = {}) => ({
  type: 'bind',
  source,
  target,
  bind: { create_host_path: true, ...((extra.bind as object) ?? {}) },
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'bind')),
});

describe('parseVolumeSpec', () => {
  const table: [string, unknown][] = [
    // anonymous volumes
    ['/path', { type: 'volume', target: '/path', volume: {} }],
    ['/path/foo', { type: 'volume', target: '/path/foo', volume: {} }],
    ['C:\\path', { type: 'volume', target: 'C:\\path', volume: {} }],
    ['Z:\\path\\foo', { type: 'volume', target: 'Z:\\path\\foo', volume: {} }],
    // two characters or fewer: a target, nothing else (no `volume: {}`)
    ['.', { type: 'volume', target: '.' }],
    ['/a', { type: 'volume', target: '/a' }],
    // bind mounts: the source starts with . / ~ (or is a Windows path)
    ...['./foo', '~/thing', '../other', '/foo', '/home/user'].map((s): [string, unknown] => [`${s}:/target`, bind(s, '/target')]),
    ...['./foo', '~/thing', '../other', 'D:\\path', '/home/user'].map((s): [string, unknown] => [`${s}:d:\\target`, bind(s, 'd:\\target')]),
    ['/source:/target:slave', bind('/source', '/target', { bind: { propagation: 'slave' } })],
    ['/source:/target:ro,z', bind('/source', '/target', { read_only: true, bind: { selinux: 'z' } })],
    ['/source:/target:ro,Z', bind('/source', '/target', { read_only: true, bind: { selinux: 'Z' } })],
    ['C:\\source\\foo:D:\\target:ro,rprivate', bind('C:\\source\\foo', 'D:\\target', { read_only: true, bind: { propagation: 'rprivate' } })],
    ['./foo:/target:ro', bind('./foo', '/target', { read_only: true })],
    ['/home/user:/target:rw', bind('/home/user', '/target', { read_only: false })],
    ['\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\inside', bind('\\\\.\\pipe\\docker_engine', '\\\\.\\pipe\\inside')],
    ['/tmp/x/y:/foo/x/y', bind('/tmp/x/y', '/foo/x/y')],
    // named volumes; unknown options are ignored, subpath has no short syntax
    ['name:/target:bogus', { type: 'volume', source: 'name', target: '/target', volume: {} }],
    ['name:/target:nocopy', { type: 'volume', source: 'name', target: '/target', volume: { nocopy: true } }],
    ['name:/target:nocopy,subpath=etc', { type: 'volume', source: 'name', target: '/target', volume: { nocopy: true } }],
    ['name:D:', { type: 'volume', source: 'name', target: 'D:', volume: {} }],
    // a colon inside ${…} is the variable's default, not a separator
    ['${DATA:-./data}:/data', { type: 'volume', source: '${DATA:-./data}', target: '/data', volume: {} }],
    // the target is cleaned like Go's path.Clean
    ['./a:/x/./y/../z/', bind('./a', '/x/z')],
  ];
  for (const [spec, expected] of table) {
    it(spec, () => expect(parseVolumeSpec(spec)).toEqual(expected));
  }

  const errors: [string, string][] = [
    ['', 'invalid empty volume spec'],
    ['/foo:/foo:ro:foo', 'invalid spec: /foo:/foo:ro:foo: too many colons'],
    [':foo', 'empty section between colons'],
    ['/foo::ro', 'empty section between colons'],
    ['/foo::rw', 'invalid spec'],
  ];
  for (const [spec, message] of errors) {
    it(`refuses ${JSON.stringify(spec)}`, () => expect(() => parseVolumeSpec(spec)).toThrow(message));
  }

  it('tells host paths from volume names', () => {
    expect(isFilePath('a界')).toBe(false);
    expect(isFilePath('c:\\x')).toBe(true);
    expect(isFilePath('data')).toBe(false);
    expect(isFilePath('~')).toBe(true);
  });
});

describe('splitShellWords', () => {
  const table: [string, string[]][] = [
    ['bundle exec thin -p 3000', ['bundle', 'exec', 'thin', '-p', '3000']],
    ['  leading   and\ttrailing\n', ['leading', 'and', 'trailing']],
    [`echo "hello world"`, ['echo', 'hello world']],
    [`echo 'it''s'`, ['echo', 'its']],
    [`echo 'a "b" c'`, ['echo', 'a "b" c']],
    [`echo "a 'b' c"`, ['echo', "a 'b' c"]],
    [`echo a\\ b`, ['echo', 'a b']],
    [`echo "a\\"b"`, ['echo', 'a"b']],
    [`echo 'a\\b'`, ['echo', 'a\\b']],
    [`printf a\\tb\\nc`, ['printf', 'a\tb\nc']],
    [`x "" ''`, ['x', '', '']],
    [`sh -c "a && b | c; d"`, ['sh', '-c', 'a && b | c; d']],
    [`echo $HOME \${X:-y}`, ['echo', '$HOME', '${X:-y}']],
    [`echo $(date +%s) end`, ['echo', '$(date +%s)', 'end']],
    ['echo `date +%s` end', ['echo', '`date +%s`', 'end']],
    [`"a"b'c'`, ['abc']],
    ['', []],
  ];
  for (const [line, words] of table) {
    it(JSON.stringify(line), () => expect(splitShellWords(line)).toEqual(words));
  }

  const errors: [string, string][] = [
    [`echo "unterminated`, 'unterminated quote'],
    [`echo 'unterminated`, 'unterminated quote'],
    ['echo trailing\\', 'lone backslash'],
    ['echo `date', 'unterminated command substitution'],
    ['echo $(date', 'unterminated command substitution'],
    ['Label(pycon.traefik, true)', '"(" is only allowed'],
    ['a)', 'unbalanced ")"'],
    ['echo a && echo b', 'unquoted "&"'],
    ['cat a | grep b', 'unquoted "|"'],
    ['a; b', 'unquoted ";"'],
    ['cmd > out', 'unquoted ">"'],
  ];
  for (const [line, message] of errors) {
    it(`refuses ${JSON.stringify(line)}`, () => expect(() => splitShellWords(line)).toThrow(message));
  }
});
