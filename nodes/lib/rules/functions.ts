import { normalizeEmail, normalizeKey, roundCents, toLatin1 } from '../util/text';

/** A helper function that rules may call, with its JSONata signature and its help text. */
export interface RuleFunction {
  name: string;
  signature: string;
  summary: string;
  implementation: (...args: any[]) => unknown;
}

/**
 * The functions registered on every compiled rule. They are pure (no I/O, no side effects), so an
 * admin's rule can do nothing but compute.
 */
export const RULE_FUNCTIONS: readonly RuleFunction[] = [
  {
    name: 'normEmail',
    signature: '<x-:s>',
    summary: '$normEmail(email): trims and lower-cases an e-mail address ("" when missing)',
    implementation: (value: unknown) => normalizeEmail(value),
  },
  {
    name: 'normKey',
    signature: '<x-b?:s>',
    summary: '$normKey(value[, caseSensitive]): trims, collapses spaces and (unless caseSensitive) lower-cases a match key',
    implementation: (value: unknown, caseSensitive?: boolean) => normalizeKey(value, caseSensitive === true),
  },
  {
    name: 'qbText',
    signature: '<x-n?:s>',
    summary: '$qbText(text[, maxLength]): transliterates to ISO-8859-1 for QuickBooks Desktop and cuts to maxLength',
    implementation: (value: unknown, maxLength?: number) => toLatin1(value, maxLength),
  },
  {
    name: 'cents',
    signature: '<n-:n>',
    summary: '$cents(amount): rounds a money amount to cents (half away from zero)',
    implementation: (value: number) => (value === undefined ? undefined : roundCents(value)),
  },
];
