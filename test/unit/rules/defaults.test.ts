import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RULE_NAMES, compileRule, defaultRule, listDefaultRules } from '../../../nodes/lib/rules';

describe('default rules in rules/', () => {
  it('ships every rule the nodes ask for, each with at least one sample', () => {
    for (const name of DEFAULT_RULE_NAMES) {
      const rule = defaultRule(name);
      assert.ok(rule.source.trim().length > 0, `${name} has a source`);
      assert.ok(rule.samples.length > 0, `${name} has a sample`);
    }
  });

  for (const rule of listDefaultRules()) {
    for (const sample of rule.samples) {
      it(`${rule.name}: ${sample.description}`, async () => {
        const compiled = compileRule(rule.name, rule.source);
        assert.deepStrictEqual(await compiled.evaluate(sample.input), sample.expected);
      });
    }
  }

  it('refuses a rule name that could escape the rules folder', () => {
    assert.throws(() => defaultRule('../package'), /not a rule name/);
    assert.throws(() => defaultRule('no-such-rule'), /no default rule "no-such-rule"/);
  });
});
