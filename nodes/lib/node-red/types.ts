/**
 * The small part of Node-RED's runtime API this package uses, typed locally so the library needs no
 * Node-RED import (and no @types package that describes the 1.3 API).
 */
export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'dot' | 'ring';
  text?: string;
}

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  [key: string]: unknown;
}

export type SendFn = (msg: NodeMessage | null | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFn = (err?: Error) => void;

export interface RuntimeNode {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void | Promise<void>): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send: SendFn;
  status(status: NodeStatus | Record<string, never>): void;
  log(msg: unknown): void;
  warn(msg: unknown): void;
  error(msg: unknown, orig?: NodeMessage): void;
}

export interface RequestLike {
  body?: any;
  query: Record<string, any>;
  params: Record<string, string>;
  protocol?: string;
  get?(header: string): string | undefined;
}
export interface ResponseLike {
  status(code: number): ResponseLike;
  json(body: unknown): void;
  send(body?: unknown): void;
  type?(type: string): ResponseLike;
  set?(field: string, value: string): ResponseLike;
  redirect?(url: string): void;
}
export type RouteHandler = (req: RequestLike, res: ResponseLike, next?: (err?: unknown) => void) => void;

export interface HttpApp {
  get(path: string, ...handlers: RouteHandler[]): void;
  post(path: string, ...handlers: RouteHandler[]): void;
  use?(...args: unknown[]): void;
}

export interface NodeAPI {
  nodes: {
    createNode(node: RuntimeNode, config: unknown): void;
    registerType(type: string, ctor: (this: RuntimeNode, config: any) => void, opts?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: Record<string, unknown> }): void;
    getNode(id: string): unknown;
    eachNode?(cb: (node: any) => void): void;
  };
  events?: { on(event: string, listener: (...args: any[]) => void): void; off?(event: string, listener: (...args: any[]) => void): void };
  httpAdmin: HttpApp;
  httpNode: HttpApp;
  auth: { needsPermission(permission: string): RouteHandler };
  settings: { userDir?: string; credentialSecret?: string | false; [key: string]: unknown };
  log: { info(msg: unknown): void; warn(msg: unknown): void; error(msg: unknown): void; debug?(msg: unknown): void };
  _(key: string, substitutions?: Record<string, unknown>): string;
}
