import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root';
import { compileRule, type Rule } from './rule';

/** One case of a default rule's sample file: an input and the output the rule must give. */
export interface RuleSample {
  description: string;
  input: unknown;
  expected: unknown;
}

/** A default rule shipped in `rules/`: `<name>.jsonata` beside `<name>.sample.json`. */
export interface DefaultRule {
  name: string;
  source: string;
  samples: RuleSample[];
}

/** The names of the default rules every node may ask for. */
export const DEFAULT_RULE_NAMES = [
  'item-key.app',
  'item-key.qbo',
  'item-key.qbd',
  'customer-key.app',
  'customer-key.qbo',
  'customer-key.qbd',
  'charge-item-name',
  'invoice.qbo',
  'invoice.qbd',
] as const;
export type DefaultRuleName = (typeof DEFAULT_RULE_NAMES)[number];

export function rulesDir(): string {
  return path.join(packageRoot(), 'rules');
}

const cache = new Map<string, DefaultRule>();

/** Reads a default rule and its samples from `rules/` (once per process). */
export function defaultRule(name: string, dir = rulesDir()): DefaultRule {
  const key = `${dir}\u0000${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (!/^[a-z0-9.-]+$/.test(name)) throw new Error(`not a rule name: "${name}"`);
  const file = path.join(dir, `${name}.jsonata`);
  if (!fs.existsSync(file)) throw new Error(`no default rule "${name}" in ${dir}`);
  const source = fs.readFileSync(file, 'utf8');
  const sampleFile = path.join(dir, `${name}.sample.json`);
  const samples = fs.existsSync(sampleFile) ? (JSON.parse(fs.readFileSync(sampleFile, 'utf8')) as RuleSample[]) : [];
  const rule = { name, source, samples };
  cache.set(key, rule);
  return rule;
}

/** Every rule file in `rules/` (the shipped defaults, whatever their names). */
export function listDefaultRules(dir = rulesDir()): DefaultRule[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jsonata'))
    .sort()
    .map((f) => defaultRule(f.slice(0, -'.jsonata'.length), dir));
}

/**
 * Compiles an admin's edit of a default rule, or the default `<defaultName>` itself when the edit is
 * empty; `name` is what errors call the rule (default: the default's name).
 */
export function ruleOrDefault(defaultName: string, edited: string | undefined, name = defaultName): Rule {
  return compileRule(name, edited?.trim() ? edited : defaultRule(defaultName).source);
}
