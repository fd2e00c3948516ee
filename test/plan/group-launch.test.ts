// The command a single group's container starts its members with (src/plan/group-launch.ts): the
// main member's command resolved against the image as an engine resolves it, each other member in a
// restart loop, users switched through setpriv only when a member runs as another user.
import { describe, expect, it } from 'vitest';
import { effectiveCommand, groupLaunchBody, memberLoop } from '../../src/plan/group-launch.js';

const IMAGE = { Entrypoint: ['/entry'], Cmd: ['serve', '--port', '80'], User: '' };

describe('single group launch', () => {
  it('resolves the main command as an engine does: own entrypoint drops the image command, an empty one drops the image entrypoint', () => {
    expect(effectiveCommand({}, IMAGE)).toEqual(['/entry', 'serve', '--port', '80']);
    expect(effectiveCommand({ Cmd: ['run'] }, IMAGE)).toEqual(['/entry', 'run']);
    expect(effectiveCommand({ Entrypoint: ['/own'] }, IMAGE)).toEqual(['/own']);
    expect(effectiveCommand({ Entrypoint: ['/own'], Cmd: ['x'] }, IMAGE)).toEqual(['/own', 'x']);
    expect(effectiveCommand({ Entrypoint: [] }, IMAGE)).toEqual(['serve', '--port', '80']);
    expect(effectiveCommand({ Entrypoint: [], Cmd: ['x'] }, IMAGE)).toEqual(['x']);
    expect(effectiveCommand({}, { Entrypoint: '/one', Cmd: null })).toEqual(['/one']);
  });

  it('runs the members in restart loops and execs the main command, which it passes as arguments', () => {
    const body = groupLaunchBody({
      group: 'duo',
      body: { Image: 'img', Cmd: ['sleep', '1'], Env: ['A=1'] },
      members: [{ service: 'helper', cmd: ['sh', '-c', "echo 'hi'"], env: ['B=two words'], workingDir: '/srv' }],
      image: IMAGE,
    });
    expect(body.Entrypoint).toEqual(['sh', '-c', `(cd /srv && while :; do env 'B=two words' BERTH_SERVICE=helper sh -c 'echo '\\''hi'\\'''; sleep 1; done) &\nexec "$@"`, 'berth-duo']);
    expect(body.Cmd).toEqual(['/entry', 'sleep', '1']);
    expect(body.Env).toEqual(['A=1']);
    expect(body.User).toBeUndefined();
    expect(body.Image).toBe('img');
  });

  it('members of the container\'s user (given or not) need no switch; the image\'s user counts as the main one\'s', () => {
    const members = [
      { service: 'a', cmd: ['a'], env: [] },
      { service: 'b', cmd: ['b'], env: [], user: 'app' },
    ];
    const body = groupLaunchBody({ group: 'g', body: { Cmd: ['m'] }, members, image: { User: 'app' } });
    expect(body.User).toBeUndefined();
    expect(body.Entrypoint![2]).not.toContain('setpriv');
    // root spelled differently is still root.
    const rooted = groupLaunchBody({ group: 'g', body: { Cmd: ['m'], User: '0' }, members: [{ service: 'a', cmd: ['a'], env: [], user: 'root' }], image: {} });
    expect(rooted.Entrypoint![2]).not.toContain('setpriv');
  });

  it('a member of another user: the container runs as root, every non-root process drops to its user through setpriv, checked first', () => {
    const body = groupLaunchBody({
      group: 'backend',
      body: { Cmd: ['postgres'], User: 'postgres' },
      members: [
        { service: 'api', cmd: ['node', 'server.mjs'], env: [], user: 'nobody' },
        { service: 'cron', cmd: ['crond'], env: [] },
        { service: 'agent', cmd: ['agent'], env: [], user: 'root' },
      ],
      image: {},
    });
    expect(body.User).toBe('0');
    const script = body.Entrypoint![2].split('\n');
    expect(script[0]).toMatch(/^case \$\(setpriv --help 2>&1\) in \*--reuid\*\) ;; \*\) echo "berth: placement group backend \(single\) starts members as other users through setpriv \(util-linux\), which this image lacks.*exit 126 ;; esac$/);
    expect(script).toContain('(while :; do (berth_as nobody env BERTH_SERVICE=api node server.mjs); sleep 1; done) &');
    // A member with no user runs as the main member's, switched to it like the main one.
    expect(script).toContain('(while :; do (berth_as postgres env BERTH_SERVICE=cron crond); sleep 1; done) &');
    expect(script).toContain('(while :; do env BERTH_SERVICE=agent agent; sleep 1; done) &');
    expect(script.at(-1)).toBe('berth_as postgres "$@"');
    expect(body.Cmd).toEqual(['postgres']);
    // HOME comes from each user's passwd entry, unless the service's environment sets it.
    expect(script).not.toContain('berth_fixed_home=1');
    const fixed = groupLaunchBody({ group: 'g', body: { Cmd: ['m'], User: 'a', Env: ['HOME=/data'] }, members: [{ service: 'b', cmd: ['b'], env: [], user: 'b' }], image: {} });
    expect(fixed.Entrypoint![2].split('\n')).toContain('berth_fixed_home=1');
  });

  it('refuses a main member without any command', () => {
    expect(() => groupLaunchBody({ group: 'g', body: {}, members: [], image: {} })).toThrow(/placement group "g" \(single\): its main member has no command, neither in the service nor in its image/);
  });

  it('a member loop alone is what Swarm tasks run', () => {
    expect(memberLoop({ service: 'db', cmd: ['nc', '-lk', '-p', '5432'], env: ['PGDATA=/data'], workingDir: '/data' })).toBe('(cd /data && while :; do env PGDATA=/data BERTH_SERVICE=db nc -lk -p 5432; sleep 1; done) &');
  });
});
