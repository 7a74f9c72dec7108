import { createHash, randomBytes } from 'node:crypto';
import { loadPg, schemaIdent, type PgPool } from './postgres';

/**
 * `store.events`: small messages between the instances (Node-RED processes) that share one store, so
 * each can drop the in-memory copies another one made stale (Mirror lists, MatchBooks) and the consoles
 * open on every instance hear what changed. A message names what changed (a topic, ids), never the
 * records: the receiver reads the store again.
 *
 * On PostgreSQL: `pg_notify` on one channel per schema, heard by one dedicated connection per store
 * (LISTEN), outside the pool so a busy pool never delays it. When that connection drops it is opened
 * again with a growing delay; messages sent meanwhile are lost, so every subscriber is then told so
 * (`gap`) and drops its copies entirely. Failures are reported through the store's `warn`, never thrown.
 *
 * On nedb there is one process (the folder's lock), so no other instance can hear or send anything: a
 * message is delivered to this store's own subscribers (marked `own`), the same contract as on
 * PostgreSQL, so code and tests behave alike on both backends, at the cost of a setImmediate per write.
 */

/** What a subscriber is given. */
export interface StoreMessage {
  topic: string;
  /** The payload as published; absent for a gap, or when it was too large to send (`clipped`). */
  payload?: Record<string, unknown>;
  /** Raised by this store (this instance): a subscriber usually ignores it, it has already acted. */
  own: boolean;
  /**
   * Messages may have been missed (the listening connection was lost and is back): drop every copy
   * this topic covers. Delivered to every subscription, with no payload.
   */
  gap?: true;
  /** The payload was over the size limit and was sent without it: treat as "anything of this topic changed". */
  clipped?: true;
}

export type StoreListener = (message: StoreMessage) => void;

export interface StoreEvents {
  /** This instance's id in the messages it sends (random per store opened). */
  readonly origin: string;
  /**
   * Sends a message to the subscribers of `topic` on every instance, this one included (marked `own`).
   * Resolves once sent (on PostgreSQL: after the NOTIFY); never rejects: a failure is warned.
   */
  publish(topic: string, payload?: Record<string, unknown>): Promise<void>;
  /** Calls `fn` for each message of `topic`; returns the unsubscribe. */
  subscribe(topic: string, fn: StoreListener): () => void;
  close(): Promise<void>;
}

/** NOTIFY refuses a payload of 8000 bytes or more (PostgreSQL's default build). */
export const MAX_MESSAGE_BYTES = 7_999;
/** Topics name a kind and a company: bounded so that a message without its payload always fits. */
const MAX_TOPIC_LENGTH = 500;
/** Ids sent with a change at most; more are left out (fewIds). Receivers drop the whole list or book either way. */
export const MAX_IDS = 50;

/** The topic of one kind of change of one company (`mirror/<company>`, `matches/<company>`, `console/<company>`). */
export function companyTopic(kind: 'mirror' | 'matches' | 'console', company: string): string {
  return `${kind}/${company}`;
}

/** The ids to send with a change: all of them when few, else none (the change then stands for the whole list or book). */
export function fewIds(ids: Iterable<string>): string[] | undefined {
  const list = [...new Set(ids)];
  return list.length <= MAX_IDS ? list : undefined;
}

/** The PostgreSQL channel of a schema's messages (an identifier: at most 63 bytes). */
export function channelOf(schema: string): string {
  schemaIdent(schema); // letters, digits and _ only
  const readable = `qb_events_${schema}`;
  return readable.length <= 63 ? readable : `qb_events_${createHash('sha1').update(schema).digest('hex').slice(0, 20)}`;
}

/** The wire form: origin, topic, payload. */
interface Wire {
  o: string;
  t: string;
  p?: Record<string, unknown>;
  c?: 1;
}

/** The subscribers of one store, by topic, and the encoding both backends share. */
abstract class EventsBase implements StoreEvents {
  readonly origin = randomBytes(8).toString('hex');
  protected closed = false;
  private readonly topics = new Map<string, Set<StoreListener>>();

  constructor(protected readonly warn: (message: string) => void) {}

  subscribe(topic: string, fn: StoreListener): () => void {
    if (this.closed) return () => undefined;
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    // a Set would keep one entry for a function subscribed twice: each subscription gets its own
    const entry: StoreListener = (m) => fn(m);
    set.add(entry);
    return () => {
      const now = this.topics.get(topic);
      if (!now?.delete(entry)) return;
      if (now.size === 0) this.topics.delete(topic);
    };
  }

  async publish(topic: string, payload?: Record<string, unknown>): Promise<void> {
    if (this.closed) return;
    const text = this.encode(topic, payload);
    if (text === undefined) return;
    try {
      await this.send(text);
    } catch (err) {
      this.warn(`the store could not tell the other instances of a change (${topic}): ${(err as Error).message || 'no answer'}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.topics.clear();
  }

  protected abstract send(text: string): Promise<void>;

  /** The message as sent, its payload left out (`c`) when the whole would be too large; undefined when it cannot be sent at all. */
  private encode(topic: string, payload: Record<string, unknown> | undefined): string | undefined {
    if (typeof topic !== 'string' || !topic || topic.length > MAX_TOPIC_LENGTH) {
      this.warn(`a store event's topic must be text of 1 to ${MAX_TOPIC_LENGTH} characters: not sent`);
      return undefined;
    }
    const wire: Wire = { o: this.origin, t: topic };
    if (payload !== undefined) wire.p = payload;
    let text: string;
    try {
      text = JSON.stringify(wire);
    } catch (err) {
      this.warn(`a store event (${topic}) could not be written as JSON: ${(err as Error).message}`);
      text = '';
    }
    if (text && Buffer.byteLength(text) <= MAX_MESSAGE_BYTES) return text;
    if (text) this.warn(`a store event (${topic}) was ${Buffer.byteLength(text)} bytes, over the ${MAX_MESSAGE_BYTES} a notification may carry: sent without its payload`);
    return JSON.stringify({ o: this.origin, t: topic, c: 1 } satisfies Wire);
  }

  /** A message as received: checked (anyone with access to the database may send on the channel), then delivered. */
  protected receive(text: string): void {
    if (this.closed) return;
    let wire: Wire;
    try {
      wire = JSON.parse(text) as Wire;
    } catch {
      this.warn('a store event that is not JSON was ignored');
      return;
    }
    if (!wire || typeof wire !== 'object' || typeof wire.o !== 'string' || typeof wire.t !== 'string' || (wire.p !== undefined && (typeof wire.p !== 'object' || wire.p === null || Array.isArray(wire.p)))) {
      this.warn('a store event of an unknown form was ignored');
      return;
    }
    const message: StoreMessage = { topic: wire.t, own: wire.o === this.origin };
    if (wire.p) message.payload = wire.p;
    if (wire.c) message.clipped = true;
    this.deliver(wire.t, message);
  }

  /** Tells every subscription that messages may have been missed. */
  protected gap(): void {
    for (const topic of [...this.topics.keys()]) this.deliver(topic, { topic, own: false, gap: true });
  }

  private deliver(topic: string, message: StoreMessage): void {
    for (const fn of [...(this.topics.get(topic) ?? [])]) {
      try {
        // each subscriber its own copy: one cannot change what the next is given
        fn(message.payload ? { ...message, payload: structuredClone(message.payload) } : { ...message });
      } catch (err) {
        this.warn(`a store event's subscriber failed (${topic}): ${(err as Error).message}`);
      }
    }
  }
}

/** nedb: one process, so the messages go to this store's own subscribers, after the publisher's turn. */
export class LocalEvents extends EventsBase {
  protected send(text: string): Promise<void> {
    setImmediate(() => this.receive(text));
    return Promise.resolve();
  }
}

/** The part of node-postgres' Client used here. */
interface PgListenClient {
  connect(): Promise<void>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', fn: (n: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
}

export interface PgEventsOptions {
  /** First delay before opening the listening connection again; doubles up to `maxRetryMs`. Default 250 ms. */
  retryMs?: number;
  maxRetryMs?: number;
  /**
   * How often the listening connection is asked a `SELECT 1` (default 30 s): a connection that went
   * silent (a server failover, a half-open TCP connection) would otherwise hear nothing, and say nothing.
   */
  heartbeatMs?: number;
  /** How long connecting or a heartbeat may take before the connection counts as lost (default 10 s). */
  timeoutMs?: number;
}

/** PostgreSQL: NOTIFY through the store's pool, LISTEN on a connection of its own. */
export class PgEvents extends EventsBase {
  private readonly channel: string;
  private client?: PgListenClient;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  /** Listening failed and that was warned: the next warning is when it works again. */
  private outage = false;
  /** Listening stopped (or never started) since the store opened: the next LISTEN tells subscribers of the gap. */
  private missed = false;
  private heartbeat?: NodeJS.Timeout;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly heartbeatMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly pool: PgPool,
    private readonly url: string,
    schema: string,
    warn: (message: string) => void,
    options: PgEventsOptions = {},
  ) {
    super(warn);
    this.channel = channelOf(schema);
    this.retryMs = Math.max(10, options.retryMs ?? 250);
    this.maxRetryMs = Math.max(this.retryMs, options.maxRetryMs ?? 30_000);
    this.heartbeatMs = Math.max(10, options.heartbeatMs ?? 30_000);
    this.timeoutMs = Math.max(10, options.timeoutMs ?? 10_000);
  }

  /** Opens the listening connection; never rejects (a failure is warned and retried). */
  start(): Promise<void> {
    return this.listen();
  }

  protected async send(text: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, text]);
  }

  private async listen(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    const { Client } = loadPg() as unknown as { Client: new (config: Record<string, unknown>) => PgListenClient };
    // its name in pg_stat_activity says whose listener it is
    const client = new Client({
      connectionString: this.url, keepAlive: true, application_name: `qbsync-events-${this.origin}`,
      connectionTimeoutMillis: this.timeoutMs, query_timeout: this.timeoutMs,
    });
    client.on('notification', (n) => {
      if (n.channel === this.channel && typeof n.payload === 'string') this.receive(n.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (err) {
      client.end().catch(() => undefined);
      // once per outage, not at every attempt
      if (!this.outage) this.warn(`the store cannot hear the other instances' changes (${(err as Error).message || 'no answer'}): trying again`);
      this.outage = true;
      this.retry();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.beat(client);
    if (this.outage) this.warn(`the store hears the other instances' changes again (after ${this.failures} attempt${this.failures === 1 ? '' : 's'})`);
    this.outage = false;
    this.failures = 0;
    if (this.missed) {
      this.missed = false;
      this.gap();
    }
  }

  /** Asks the listening connection a question now and then: no answer in time counts as lost. */
  private beat(client: PgListenClient): void {
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((err: Error) => this.lost(client, err));
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** The listening connection failed, ended or went silent: open another one later (not when the store closes). */
  private lost(client: PgListenClient, err?: Error): void {
    if (this.client !== client) return; // one still connecting: listen() handles its failure
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.warn(`the store stopped hearing the other instances' changes${err?.message ? ` (${err.message})` : ''}: listening again`);
    this.outage = true; // warned: the attempts that follow stay quiet until one succeeds
    this.retry();
  }

  private retry(): void {
    this.missed = true;
    if (this.closed || this.timer) return;
    const delay = Math.min(this.maxRetryMs, this.retryMs * 2 ** Math.min(this.failures++, 20));
    // jitter: instances that lost the server together do not come back in step
    this.timer = setTimeout(() => void this.listen(), delay * (0.5 + Math.random() / 2));
    this.timer.unref();
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
