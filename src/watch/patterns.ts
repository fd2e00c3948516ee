// Path patterns for develop.watch `ignore`/`include` and `.dockerignore`, with the semantics of
// moby's fileutils PatternMatcher: patterns are relative to a base directory, `*` and `?` stay
// within one path segment, `**` spans any number of them, a pattern that matches a directory
// matches everything below it, later patterns win and `!` re-includes.
import path from 'node:path';

interface CompiledPattern {
  negate: boolean;
  regex: RegExp;
}

export class PathPatterns {
  private readonly patterns: CompiledPattern[];

  constructor(patterns: readonly string[]) {
    this.patterns = patterns
      .map((p) => p.trim())
      .filter((p) => p !== '' && !p.startsWith('#'))
      .map((p) => {
        const negate = p.startsWith('!');
        const body = path.posix.normalize((negate ? p.slice(1) : p).trim().replace(/^\/+/, '')).replace(/\/+$/, '');
        return { negate, regex: globToRegex(body) };
      });
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether `rel` (posix, relative to the base, no leading `./`) matches, itself or through a parent directory. */
  matches(rel: string): boolean {
    const candidates = prefixes(rel);
    let matched = false;
    for (const p of this.patterns) {
      if (candidates.some((c) => p.regex.test(c))) matched = !p.negate;
    }
    return matched;
  }
}

/** `a/b/c` → [`a`, `a/b`, `a/b/c`]: a pattern naming a directory covers what is inside it. */
function prefixes(rel: string): string[] {
  const parts = rel.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function globToRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole segments; a trailing `**` matches the rest.
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      re += escape(glob[++i]);
    } else {
      re += escape(c);
    }
  }
  return new RegExp(`^${re}$`);
}

function escape(c: string): string {
  return /[.+^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/**
 * Files editors write beside the one being saved and remove again: vim's swap files and its
 * `4913` probe, emacs lock and autosave files, JetBrains' safe-write copies, `~` backups.
 * Syncing them would copy junk into containers and restart services for nothing.
 */
export function isEditorTempFile(file: string): boolean {
  const base = path.basename(file);
  return (
    base === '4913' ||
    /^\..*\.sw[a-p]$/.test(base) ||
    base.endsWith('~') ||
    base.startsWith('.#') ||
    (base.startsWith('#') && base.endsWith('#')) ||
    base.endsWith('___jb_tmp___') ||
    base.endsWith('___jb_old___') ||
    base === '.DS_Store'
  );
}
