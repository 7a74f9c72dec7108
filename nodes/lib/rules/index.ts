export { Rule, RuleError, compileRule, testRule, DEFAULT_LIMITS, MAX_RULE_LENGTH } from './rule';
export type { RuleLimits, RuleTestOutcome } from './rule';
export { RULE_FUNCTIONS } from './functions';
export { defaultRule, listDefaultRules, rulesDir, DEFAULT_RULE_NAMES } from './defaults';
export type { DefaultRule, DefaultRuleName, RuleSample } from './defaults';
