import { describe, expect, it } from 'vitest';
import { isRemoteContext, resolveRelativePaths } from '../../src/loader/paths.js';

describe('resolveRelativePaths', () => {
  const base = '/inc/dir';
  it('makes the relative paths of services, configs and secrets absolute', () => {
    const out = resolveRelativePaths(
      {
        services: {
          a: {
            build: './app',
            env_file: ['a.env', { path: '../b.env', required: false }],
            volumes: ['./data:/data:ro', 'named:/n', '/abs:/abs', '~/home:/h', { type: 'bind', source: 'rel', target: '/r' }],
            extends: { file: 'base.yaml', service: 'x' },
          },
          b: { build: { context: 'ctx', additional_contexts: { x: './more', y: 'docker-image://alpine' } } },
          c: { build: { dockerfile: 'Dockerfile.dev' } },
        },
        configs: { cfg: { file: './cfg.txt' } },
        secrets: { s: { environment: 'X' } },
      },
      base,
    );
    const a = (out.services as any).a;
    expect(a.build).toBe('/inc/dir/app');
    expect(a.env_file).toEqual(['/inc/dir/a.env', { path: '/inc/b.env', required: false }]);
    expect(a.volumes).toEqual(['/inc/dir/data:/data:ro', 'named:/n', '/abs:/abs', '~/home:/h', { type: 'bind', source: '/inc/dir/rel', target: '/r' }]);
    expect(a.extends.file).toBe('/inc/dir/base.yaml');
    expect((out.services as any).b.build).toEqual({ context: '/inc/dir/ctx', additional_contexts: { x: '/inc/dir/more', y: 'docker-image://alpine' } });
    expect((out.services as any).c.build).toEqual({ context: base, dockerfile: 'Dockerfile.dev' });
    expect((out.configs as any).cfg.file).toBe('/inc/dir/cfg.txt');
    expect((out.secrets as any).s).toEqual({ environment: 'X' });
  });

  it('leaves remote build contexts alone', () => {
    expect(isRemoteContext('https://github.com/docker/compose.git')).toBe(true);
    expect(isRemoteContext('git@github.com:a/b.git')).toBe(true);
    expect(isRemoteContext('./app')).toBe(false);
    const out = resolveRelativePaths({ services: { a: { build: 'https://example.com/x.git#main' } } }, base);
    expect((out.services as any).a.build).toBe('https://example.com/x.git#main');
  });

  it('does not modify its input', () => {
    const input = { services: { a: { build: './x' } } };
    resolveRelativePaths(input, base);
    expect(input.services.a.build).toBe('./x');
  });
});
