import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../../src/engine/images/changes.js';

describe('applyChanges (docker import --change)', () => {
  it('applies exec and shell forms, env, labels, ports, volumes, workdir, user, stopsignal', () => {
    const base = { Env: ['PATH=/bin', 'A=old'] };
    const out = applyChanges(base, [
      'CMD ["/bin/sh", "-c", "echo hi"]',
      'ENTRYPOINT /init --verbose',
      'ENV A=new B="two words" C=x\\ y',
      'ENV LEGACY some value',
      'LABEL org.example.v=1 "quoted key"=z',
      'EXPOSE 80 53/udp',
      'VOLUME ["/data"]',
      'VOLUME /cache /logs',
      'WORKDIR /srv',
      'workdir app',
      'USER 1000:1000',
      'STOPSIGNAL SIGINT',
    ]);
    expect(out).toEqual({
      Cmd: ['/bin/sh', '-c', 'echo hi'],
      Entrypoint: ['/bin/sh', '-c', '/init --verbose'],
      Env: ['PATH=/bin', 'A=new', 'B=two words', 'C=x y', 'LEGACY=some value'],
      Labels: { 'org.example.v': '1', 'quoted key': 'z' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Volumes: { '/data': {}, '/cache': {}, '/logs': {} },
      WorkingDir: '/srv/app',
      User: '1000:1000',
      StopSignal: 'SIGINT',
    });
    expect(base.Env).toEqual(['PATH=/bin', 'A=old']); // input untouched
  });

  it('refuses unknown and unsupported instructions and bad values', () => {
    expect(() => applyChanges({}, ['RUN echo'])).toThrow(/RUN is not a valid change/);
    expect(() => applyChanges({}, ['HEALTHCHECK NONE'])).toThrow(/not supported/);
    expect(() => applyChanges({}, ['EXPOSE http'])).toThrow(/invalid port/);
    expect(() => applyChanges({}, ['ENV A="open'])).toThrow(/unterminated quote/);
  });
});
