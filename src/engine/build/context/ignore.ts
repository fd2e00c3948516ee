// .dockerignore rules with Docker's semantics (moby's patternmatcher, through
// @balena/dockerignore): `**` crosses directories, `!` re-includes, a rule matching a directory
// excludes what is under it, the last matching rule wins. Matching is case-sensitive, as on
// Linux. Which file supplies the rules (a Dockerfile-specific `<Dockerfile>.dockerignore` wins
// over `.dockerignore`) is decided by the walker, which reads them.
import dockerignoreModule from '@balena/dockerignore';

// A CommonJS module typed with `export default`: under NodeNext the function is its `.default`
// (which the package also sets at run time).
const dockerignore = dockerignoreModule.default;

export interface IgnoreRules {
  /** The file the rules came from (relative to the context), or undefined for none. */
  source?: string;
  patterns: { pattern: string; line: number }[];
}

export const NO_RULES: IgnoreRules = { patterns: [] };

/** Reads an ignore file's text: one pattern a line, `#` comments and blank lines skipped. */
export function parseIgnoreFile(text: string, source?: string): IgnoreRules {
  const patterns: IgnoreRules['patterns'] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    patterns.push({ pattern: line, line: i + 1 });
  });
  return { source, patterns };
}

export class IgnoreMatcher {
  private readonly ig;
  /** Some rule re-includes (`!`): an excluded directory may still hold included files. */
  readonly hasExceptions: boolean;

  constructor(readonly rules: IgnoreRules) {
    this.ig = dockerignore({ ignorecase: false }).add(rules.patterns.map((p) => p.pattern));
    this.hasExceptions = rules.patterns.some((p) => p.pattern.startsWith('!'));
  }

  /** Whether a context path (relative, `/`-separated) is excluded. */
  ignores(relPath: string): boolean {
    return relPath !== '.' && relPath !== '' && this.ig.ignores(relPath);
  }

  /** The last rule that excludes the path, for messages. */
  excludedBy(relPath: string): { pattern: string; line: number } | undefined {
    if (!this.ignores(relPath)) return undefined;
    for (let i = this.rules.patterns.length - 1; i >= 0; i--) {
      const p = this.rules.patterns[i];
      if (!p.pattern.startsWith('!') && dockerignore({ ignorecase: false }).add(p.pattern).ignores(relPath)) return p;
    }
    return undefined;
  }
}
