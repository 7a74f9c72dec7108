/**
 * Versioned node configurations. Every node's config carries `version` (its editor default is the
 * current one); a config saved by an older release is brought up to date, one step at a time, when the
 * node starts, so a flow saved by 0.1.0 keeps its settings. Version 1 is 0.1.0's shape, which saved no
 * `version`. A step never drops a setting it does not understand.
 */
export interface ConfigStep {
  /** The version this step produces. */
  to: number;
  /** What changed, for the log and the tests. */
  what: string;
  up(config: Record<string, unknown>): void;
}

/** The steps of each node type, oldest first. None yet: this release reads 0.1.0's configs as they are. */
export const CONFIG_STEPS: Readonly<Record<string, readonly ConfigStep[]>> = Object.freeze({});

/** The config version a node type writes now (1 + its steps). */
export function configVersion(type: string, steps: readonly ConfigStep[] = CONFIG_STEPS[type] ?? []): number {
  return steps.reduce((v, s) => Math.max(v, s.to), 1);
}

/** A config saved by a release newer than this one: refused with what to do, never half-read. */
export class NewerConfigError extends Error {
  override name = 'NewerConfigError';
}

/**
 * A copy of `config` brought to the current version of `type` (the saved object is left as it is).
 * A config without `version` is 0.1.0's (version 1).
 */
export function migrateConfig<T extends object>(type: string, config: T, steps: readonly ConfigStep[] = CONFIG_STEPS[type] ?? []): T & { version: number } {
  const current = configVersion(type, steps);
  const saved = (config as { version?: unknown }).version;
  const from = typeof saved === 'number' && Number.isInteger(saved) && saved >= 1 ? saved : typeof saved === 'string' && /^\d+$/.test(saved) ? Number(saved) : 1;
  if (from > current) {
    throw new NewerConfigError(`${type}: this node was saved by a newer version of @qbsync/node-red-quickbooks (config version ${from}; this one reads up to ${current}): update the package`);
  }
  const out = { ...(config as Record<string, unknown>) };
  for (const step of [...steps].sort((a, b) => a.to - b.to)) if (step.to > from) step.up(out);
  out.version = current;
  return out as T & { version: number };
}

/**
 * Node-RED's createNode, then the node's config brought to the current version (see migrateConfig);
 * the node keeps it as `qbConfig` and the constructor goes on with it.
 */
export function createConfiguredNode<T extends object>(
  RED: { nodes: { createNode(node: never, config: unknown): void } },
  node: { type: string },
  config: T,
): T & { version: number } {
  RED.nodes.createNode(node as never, config);
  const migrated = migrateConfig(node.type, config);
  (node as { qbConfig?: unknown }).qbConfig = migrated;
  return migrated;
}
