/**
 * qb-rule: evaluates one JSONata rule (a shipped default from rules/ or an admin's edit of it) against
 * each message, with the package's limits and helper functions. Wiring only; logic is in nodes/lib.
 */
import { registerAdminRoutes } from '../lib/node-red/admin-routes';
import { failInput } from '../lib/node-red/errors';
import type { DoneFn, NodeAPI, NodeMessage, RuntimeNode, SendFn } from '../lib/node-red/types';
import { createConfiguredNode } from '../lib/node-red/migrations';
import { ruleOrDefault, type Rule } from '../lib/rules';
import { getPath, setPath } from '../lib/util/paths';

interface QbRuleConfig {
  name?: string;
  rule: string;
  expression?: string;
  property?: string;
  output?: string;
}

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);

  function QbRuleNode(this: RuntimeNode, config: QbRuleConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    const property = config.property || 'payload';
    const output = config.output || 'payload';
    let rule: Rule | undefined;
    let setupError: Error | undefined;
    try {
      rule = ruleOrDefault(config.rule, config.expression, config.name || config.rule || 'custom rule');
      node.status({});
    } catch (err) {
      setupError = err as Error;
      node.error(setupError.message);
      node.status({ fill: 'red', shape: 'ring', text: 'qb-rule.status.invalid' });
    }

    node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      if (!rule) return failInput(node, done, setupError, 'qb-rule.status.invalid');
      rule.evaluate(getPath(msg, property)).then(
        (result) => {
          setPath(msg, output, result);
          send(msg);
          done();
        },
        (err) => failInput(node, done, err, 'qb-rule.status.failed'),
      );
    });
  }

  RED.nodes.registerType('qb-rule', QbRuleNode);
};
