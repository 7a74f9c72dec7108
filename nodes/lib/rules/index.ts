export { Rule, RuleError, compileRule, testRule, DEFAULT_LIMITS, MAX_RULE_LENGTH } from './rule';
export type { RuleLimits, RuleOptions, RuleTestOutcome } from './rule';
export { BAIL, compileFastPath } from './fastpath';
export type { FastPathOptions } from './fastpath';
export { RULE_FUNCTIONS } from './functions';
export { defaultRule, listDefaultRules, ruleOrDefault, rulesDir, DEFAULT_RULE_NAMES } from './defaults';
export type { DefaultRule, DefaultRuleName, RuleSample } from './defaults';
