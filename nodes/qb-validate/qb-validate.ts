/**
 * qb-validate: checks msg.payload against one of the package's inbound JSON Schemas. Valid messages
 * leave on the first output; invalid ones on the second with msg.error naming every failing field and
 * msg.statusCode 400, ready for an HTTP Response node. Wiring only; schemas are in nodes/lib/schemas.
 */
import type { DoneFn, NodeAPI, NodeMessage, RuntimeNode, SendFn } from '../lib/node-red/types';
import { createConfiguredNode } from '../lib/node-red/migrations';
import { registerPerimeter } from '../lib/node-red/perimeter';
import { SCHEMAS, SchemaError, schemas } from '../lib/schemas';

interface QbValidateConfig {
  name?: string;
  schema: string;
}

export = function (RED: NodeAPI): void {
  registerPerimeter(RED);
  function QbValidateNode(this: RuntimeNode, config: QbValidateConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    const known = Object.prototype.hasOwnProperty.call(SCHEMAS, config.schema);
    if (!known) {
      node.error(`unknown schema "${config.schema}"`);
      node.status({ fill: 'red', shape: 'ring', text: 'qb-validate.status.unknown' });
    }

    node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      if (!known) return done(new Error(`qb-validate: unknown schema "${config.schema}"`));
      try {
        schemas().validate(config.schema, msg.payload);
        send([msg, null]);
      } catch (err) {
        if (!(err instanceof SchemaError)) return done(err as Error);
        msg.error = { message: err.message, problems: err.problems, source: { id: node.id, type: node.type } };
        msg.statusCode = 400;
        send([null, msg]);
      }
      done();
    });
  }

  RED.nodes.registerType('qb-validate', QbValidateNode);
};
