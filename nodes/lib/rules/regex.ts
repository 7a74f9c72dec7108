/**
 * Regular expressions in rules, made safe for the runtime.
 *
 * Two layers, both applied to every rule:
 *  1. When a rule compiles, each regex literal is checked (`regexProblem`): patterns longer than
 *     `MAX_PATTERN_LENGTH`, nested quantifiers (star height above 1, e.g. `(a+)+`, the classic
 *     catastrophic-backtracking shape), backreferences and look-arounds are refused with a rule error
 *     naming the position, as is anything the linear-time engine below cannot compile.
 *  2. At run time JSONata is given `LinearRegExp` as its `RegexEngine`, a thin adapter over re2js
 *     (a JavaScript port of RE2): matching time grows linearly with the input (never backtracks), and a
 *     match whose work (program size × characters searched) would exceed `MAX_REGEX_WORK` is refused
 *     instead of run, so one regex call is bounded in time whatever the record holds.
 */
import { RE2JS } from 're2js';

/** The longest regex pattern (characters between the slashes) a rule may contain. */
export const MAX_PATTERN_LENGTH = 500;

/**
 * The most work one regex call may do: RE2 program size × characters searched. Measured at ≈ 30 ns per
 * unit in the worst case (capturing groups over a non-matching input), so a call stays well under 1 s.
 */
export const MAX_REGEX_WORK = 10_000_000;

/** A refused pattern: what is wrong and where in the pattern (0-based). */
export interface RegexProblem {
  reason: string;
  offset: number;
}

/** True when the quantifier at `i` repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1); returns its length. */
function repeatingQuantifier(p: string, i: number): number {
  const c = p[i];
  if (c === '*' || c === '+') return 1;
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
    if (!m) return 0;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    return max > 1 ? m[0].length : -m[0].length; // negative: a quantifier that does not repeat
  }
  return 0;
}

/**
 * Why a pattern is refused, or null. A small scanner of JavaScript regex syntax: escapes, character
 * classes and groups, tracking whether each group contains a repeating quantifier.
 */
export function regexProblem(pattern: string): RegexProblem | null {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { reason: `the regular expression is longer than ${MAX_PATTERN_LENGTH} characters`, offset: 0 };
  }
  // one entry per open group: does it contain a repeating quantifier, and where did it open
  const groups: Array<{ repeats: boolean; start: number }> = [];
  let lastGroupRepeats = false; // the atom just closed was a group containing a repeat
  let lastGroupStart = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    let atomIsGroup = false;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        return { reason: 'backreferences are not allowed in rule regular expressions', offset: i };
      }
      i++;
    } else if (c === '[') {
      // a character class: skip to its closing bracket (escapes inside count)
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '(') {
      if (pattern[i + 1] === '?' && /^\?(=|!|<=|<!)/.test(pattern.slice(i + 1))) {
        return { reason: 'look-ahead and look-behind are not allowed in rule regular expressions', offset: i };
      }
      groups.push({ repeats: false, start: i });
      continue;
    } else if (c === ')') {
      const group = groups.pop();
      if (!group) continue; // unbalanced: the engine reports it
      atomIsGroup = true;
      lastGroupRepeats = group.repeats;
      lastGroupStart = group.start;
      if (group.repeats && groups.length) groups[groups.length - 1].repeats = true;
    }
    // a quantifier after this atom?
    const q = repeatingQuantifier(pattern, i + 1);
    if (q > 0) {
      if (atomIsGroup && lastGroupRepeats) {
        return { reason: 'nested quantifiers such as (a+)+ are not allowed in rule regular expressions', offset: lastGroupStart };
      }
      if (groups.length) groups[groups.length - 1].repeats = true;
      i += q;
      if (pattern[i + 1] === '?') i++; // lazy
    } else if (q < 0) {
      i += -q;
    }
  }
  return null;
}

/** JSONata's regex flags (i, m; g always) as RE2JS flags. */
function re2Flags(flags: string): number {
  let f = 0;
  if (flags.includes('i')) f |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) f |= RE2JS.MULTILINE;
  return f;
}

/** Compiled patterns by flags and source: JSONata constructs its RegexEngine at every evaluation of a regex literal. */
const compiled = new Map<string, RE2JS>();
const MAX_COMPILED = 500;

/** Compiles a pattern with the linear-time engine (cached); throws the engine's message on failure. */
export function compileLinear(source: string, flags: string): RE2JS {
  const key = `${flags}/${source}`;
  let re = compiled.get(key);
  if (!re) {
    re = RE2JS.compile(RE2JS.translateRegExp(source), re2Flags(flags));
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, re);
  }
  return re;
}

/** `LinearRegExp` stopping after `timeoutMs` of matching (a rule's time limit). */
export function linearRegExpWithin(timeoutMs: number): typeof LinearRegExp {
  return class extends LinearRegExp {
    protected override readonly timeoutMs = timeoutMs;
  };
}

/** Raised inside an evaluation when a regex call would do more work than `MAX_REGEX_WORK`. */
export class RegexWorkError extends Error {
  readonly code = 'QB_REGEX_WORK';
}

/**
 * What JSONata constructs for each regex literal (`new RegexEngine(regex)`): the subset of `RegExp`
 * JSONata uses (`lastIndex`, `exec` with `index`), run by RE2.
 */
export class LinearRegExp {
  lastIndex = 0;
  private readonly re: RE2JS;
  private readonly size: number;
  private readonly started = Date.now();
  /** Milliseconds this regex value may keep matching (JSONata's clock is not checked inside `$match`, `$replace`, ...). */
  protected readonly timeoutMs: number = 0;

  constructor(regex: RegExp) {
    this.re = compileLinear(regex.source, regex.flags);
    this.size = Math.max(1, this.re.programSize());
  }

  exec(str: string): (string[] & { index: number; input: string }) | null {
    const from = this.lastIndex;
    if (this.timeoutMs > 0 && Date.now() - this.started > this.timeoutMs) {
      // one $match/$replace/$split over very many matches: stop at the rule's time limit
      throw new RegexWorkError(`a regular expression kept matching for more than ${this.timeoutMs} ms`);
    }
    if ((str.length - from) * this.size > MAX_REGEX_WORK) {
      throw new RegexWorkError(
        `a regular expression was applied to ${str.length.toLocaleString('en-US')} characters, more than its limit of ` +
          `${Math.floor(MAX_REGEX_WORK / this.size).toLocaleString('en-US')} for this pattern`,
      );
    }
    const m = this.re.matcher(str);
    if (from > str.length || !m.find(from)) {
      this.lastIndex = 0;
      return null;
    }
    const out = [] as unknown as string[] & { index: number; input: string };
    const n = m.groupCount();
    for (let g = 0; g <= n; g++) out.push(m.group(g) ?? (undefined as unknown as string));
    out.index = m.start();
    out.input = str;
    this.lastIndex = m.end();
    return out;
  }
}
