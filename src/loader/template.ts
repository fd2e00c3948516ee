// The `${VAR}` grammar of the Compose Specification, and nothing else: compose-go's
// `template/` package. A template is parsed into parts first, so a syntax error anywhere
// (even in a default that will never be used) is reported, and then evaluated lazily: a
// default, alternate or error message is only expanded when its branch is taken, so a
// variable named only there is neither looked up nor warned about otherwise.
import { MAX_TEMPLATE_NESTING } from './limits.js';
import { OverrideTag } from './tags.js';
import { isPlainObject } from '../lib/object.js';

/** Maps a variable name to its value; `undefined` means unset (distinct from empty). */
export type Lookup = (name: string) => string | undefined;

/** The six operators of a braced expression: `${VAR<op>arg}`. */
export type Operator = ':-' | '-' | ':+' | '+' | ':?' | '?';

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string; op?: Operator; arg?: Part[]; argText?: string };

/**
 * An invalid template, or a required variable without a value. `variable` names the
 * variable in the second case; `template` is the text being substituted.
 */
export class TemplateError extends Error {
  readonly variable?: string;
  readonly template: string;
  readonly kind: 'invalid' | 'required';
  /** For an invalid template, what is wrong when it is more than the syntax. */
  readonly reason?: string;
  constructor(kind: 'invalid' | 'required', template: string, message: string, variable?: string, reason?: string) {
    super(message);
    this.name = 'TemplateError';
    this.kind = kind;
    this.template = template;
    this.variable = variable;
    this.reason = reason;
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATORS: readonly Operator[] = [':-', ':+', ':?', '-', '+', '?'];

function invalid(template: string): TemplateError {
  return new TemplateError('invalid', template, `Invalid template: ${JSON.stringify(template)}`);
}

/**
 * Where the braced expression opened at `from` (just after `${`) closes. Every `{` counts,
 * not only `${`, so a default may hold JSON (`${X:-{"a":1}}`). An expression whose braces
 * never balance ends at its first `}`, as compose-go's `[^}]*` alternative makes it.
 */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return text.indexOf('}', from);
}

/**
 * Parsed templates: the same `${VAR:-x}` recurs across services (anchors, generated stacks)
 * and across loads. Parts are never modified once built. Bounded, for long-lived processes;
 * invalid templates are not kept (parseParts throws for them each time).
 */
const parsedTemplates = new Map<string, readonly Part[]>();

/**
 * Refuses `${` nested past MAX_TEMPLATE_NESTING before parseParts recurses into it, in one pass
 * (each `{` counts, as in closingBrace).
 */
function checkNesting(template: string): void {
  let open = 0;
  const braces: boolean[] = [];
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '$' && template[i + 1] === '$') i++;
    else if (c === '$' && template[i + 1] === '{') {
      braces.push(true);
      if (++open > MAX_TEMPLATE_NESTING) {
        const reason = `variables nest more than ${MAX_TEMPLATE_NESTING} levels deep`;
        throw new TemplateError('invalid', template, `Invalid template: ${reason}`, undefined, reason);
      }
      i++;
    } else if (c === '{') braces.push(false);
    else if (c === '}' && braces.length > 0 && braces.pop()) open--;
  }
}

function templateParts(template: string): readonly Part[] {
  let parts = parsedTemplates.get(template);
  if (parts === undefined) {
    checkNesting(template);
    parts = parseParts(template, template);
    if (parsedTemplates.size >= 10_000) parsedTemplates.clear();
    parsedTemplates.set(template, parts);
  }
  return parts;
}

/** Parses `text` (a template, or a default/alternate/message inside one) into parts. */
function parseParts(text: string, whole: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      literal += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      literal += '$';
      i += 2;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      const name = NAME.exec(text.slice(i + 1))![0];
      if (literal) parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push({ kind: 'var', name });
      i += 1 + name.length;
      continue;
    }
    if (next !== '{') {
      // A lone `$` (`a $ string`, `^REGEX$`, `$}`) is kept as written.
      literal += '$';
      i++;
      continue;
    }
    const close = closingBrace(text, i + 2);
    if (close < 0) throw invalid(whole);
    const inner = text.slice(i + 2, close);
    const name = NAME.exec(inner)?.[0];
    if (!name) throw invalid(whole);
    const rest = inner.slice(name.length);
    if (literal) parts.push({ kind: 'text', text: literal });
    literal = '';
    if (rest === '') {
      parts.push({ kind: 'var', name });
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o));
      if (!op) throw invalid(whole);
      const argText = rest.slice(op.length);
      parts.push({ kind: 'var', name, op, argText, arg: parseParts(argText, whole) });
    }
    i = close + 1;
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return parts;
}

function evaluate(parts: readonly Part[], lookup: Lookup, unset: Set<string>, whole: string): string {
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const value = lookup(part.name);
    const arg = () => evaluate(part.arg ?? [], lookup, unset, whole);
    const empty = value === undefined || value === '';
    switch (part.op) {
      case undefined:
        if (value === undefined) unset.add(part.name);
        out += value ?? '';
        break;
      case ':-':
        out += empty ? arg() : value;
        break;
      case '-':
        out += value === undefined ? arg() : value;
        break;
      case ':+':
        out += empty ? '' : arg();
        break;
      case '+':
        out += value === undefined ? '' : arg();
        break;
      case ':?':
      case '?':
        if (part.op === ':?' ? empty : value === undefined) {
          const reason = arg();
          const message = `required variable ${part.name} is missing a value${reason ? `: ${reason}` : ''}`;
          throw new TemplateError('required', whole, message, part.name);
        }
        out += value;
        break;
    }
  }
  return out;
}

/**
 * Substitutes every `$VAR` / `${VAR…}` of `template`. `unset` lists, once each and in order
 * of appearance, the variables used without a value and without any default: the caller
 * warns about those. Throws TemplateError for an invalid template or a missing required
 * variable.
 */
export function substitute(template: string, lookup: Lookup): { value: string; unset: string[] } {
  if (!template.includes('$')) return { value: template, unset: [] };
  const unset = new Set<string>();
  const value = evaluate(templateParts(template), lookup, unset, template);
  return { value, unset: [...unset] };
}

export interface VariableUse {
  name: string;
  defaultValue?: string;
  required: boolean;
  alternateValue?: string;
  errorMessage?: string;
}

/**
 * Every variable a model's values use (keys are never templates), with what the first
 * occurrence declaring one says about its default, alternate value and error message; a
 * variable is required as soon as one occurrence requires it. Variables named inside
 * defaults, alternates and messages count too. Strings that are not valid templates are
 * skipped: interpolation reports them.
 */
export function extractVariables(value: unknown): Map<string, VariableUse> {
  const found = new Map<string, VariableUse>();
  walkStrings(value, (text) => {
    if (!text.includes('$')) return;
    let parts: Part[];
    try {
      checkNesting(text);
      parts = parseParts(text, text);
    } catch (e) {
      if (e instanceof TemplateError) return;
      throw e;
    }
    collect(parts, found);
  });
  return found;
}

function collect(parts: readonly Part[], found: Map<string, VariableUse>): void {
  for (const part of parts) {
    if (part.kind !== 'var') continue;
    const use: VariableUse = { name: part.name, required: part.op === ':?' || part.op === '?' };
    if (part.op === ':-' || part.op === '-') use.defaultValue = part.argText;
    if (part.op === ':+' || part.op === '+') use.alternateValue = part.argText;
    if (use.required) use.errorMessage = part.argText;
    combine(found, use);
    if (part.arg) collect(part.arg, found);
  }
}

function combine(found: Map<string, VariableUse>, use: VariableUse): void {
  const existing = found.get(use.name);
  if (!existing) {
    found.set(use.name, use);
    return;
  }
  // A plain `${VAR}` must not erase what a `${VAR:-x}` elsewhere declared.
  const merged: VariableUse = { ...existing, required: existing.required || use.required };
  if (!merged.defaultValue && use.defaultValue) merged.defaultValue = use.defaultValue;
  if (!merged.alternateValue && use.alternateValue) merged.alternateValue = use.alternateValue;
  if (!merged.errorMessage && use.errorMessage) merged.errorMessage = use.errorMessage;
  found.set(use.name, merged);
}

/** Visits every string value of a plain model, through `!override` tags. */
function walkStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') {
    visit(value);
  } else if (Array.isArray(value)) {
    for (const v of value) walkStrings(v, visit);
  } else if (value instanceof OverrideTag) {
    walkStrings(value.value, visit);
  } else if (isPlainObject(value)) {
    for (const v of Object.values(value)) walkStrings(v, visit);
  }
}
