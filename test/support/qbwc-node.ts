import fs from 'node:fs';
import path from 'node:path';
import { WebConnectorSimulator, type RequestProcessor } from '../sim/qbwc';
import { HttpNodeCapture } from './flow-server';
import { nodeHelper as helper, type TestNode } from './helper';
import { tempDir } from './tmp';

const USER = 'bb-sync';
const PASSWORD = 's3cret-pass';

/**
 * The shared part of a node test file on a QuickBooks Desktop connection: qbwc-server with its httpNode
 * app captured, the file's temporary folder, and one connection per test (own id and Web Connector
 * path under /test/<name>/, so its own company in the file's store). Pass `tmp` and `httpNode` to
 * useNodeRed.
 */
export class QbwcNodeTest {
  readonly httpNode = new HttpNodeCapture();
  readonly qbwcServer = this.httpNode.wrap(require('../../nodes/qbwc-server/qbwc-server'));
  readonly tmp = tempDir();
  /** The current test's connection number (nextConnection() counts up). */
  run = 0;
  port = 0;

  constructor(private readonly name: string) {}

  /** A new connection for the next flow. */
  nextConnection(): void {
    this.run++;
  }

  readonly wcId = (): string => `wc${this.run}`;
  readonly wcPath = (): string => `/test/${this.name}/${this.run}/qbwc`;
  readonly creds = (): Record<string, { username: string; password: string }> => ({ [this.wcId()]: { username: USER, password: PASSWORD } });

  /** The current connection's company, once it is open. */
  whenCompany(): Promise<any> {
    return (helper.getNode(this.wcId()) as any).whenCompany();
  }

  /** Serves the captured httpNode app (the Web Connector path answers from now on). */
  async serve(): Promise<void> {
    this.port = await this.httpNode.serve();
  }

  /** The Web Connector simulator against the current connection's path, with its user name and password. */
  webConnector(processor: RequestProcessor): WebConnectorSimulator {
    return new WebConnectorSimulator({ url: `http://127.0.0.1:${this.port}${this.wcPath()}`, username: USER, password: PASSWORD, processor });
  }
}

/** Collects the status texts a node shows from now on. */
export function statusTexts(node: TestNode): string[] {
  const texts: string[] = [];
  node.on('call:status', (call: { args: Array<{ text?: string }> }) => texts.push(call.args[0]?.text ?? ''));
  return texts;
}

/**
 * Loads examples/<file> as Import puts it: its nodes on a tab of their own (config nodes stay global),
 * with `modules` and the core inject, debug and comment nodes.
 */
export async function loadExample(file: string, modules: unknown[], credentials: Record<string, unknown>): Promise<void> {
  const nodes = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', file), 'utf8')) as Array<Record<string, unknown>>;
  const example = [{ id: 'tab', type: 'tab' }, ...nodes.map((n) => (n.type === 'qbwc-server' ? n : { ...n, z: 'tab' }))];
  await helper.load([...modules, require('@node-red/nodes/core/common/20-inject.js'), require('@node-red/nodes/core/common/21-debug.js'), require('@node-red/nodes/core/common/90-comment.js')], example, credentials);
}
