/**
 * What the package asks of a collection: the part of nedb-promises' Datastore it uses. The nedb backend
 * is nedb-promises itself; the PostgreSQL backend (postgres.ts) implements the same methods with nedb's
 * own query, update and sort semantics.
 */
export type Doc = { _id: string; [field: string]: any };
export type Query = Record<string, any>;
export type Projection = Record<string, number | undefined>;
export type SortSpec = Record<string, number>;

/** A query's answer: awaitable, narrowed with sort/skip/limit/projection before it is awaited. */
export interface QueryCursor<T> extends PromiseLike<T> {
  sort(sort: SortSpec): QueryCursor<T>;
  skip(n: number): QueryCursor<T>;
  limit(n: number): QueryCursor<T>;
  exec(): Promise<T>;
}

export interface UpdateOptions {
  multi?: boolean;
  upsert?: boolean;
  returnUpdatedDocs?: boolean;
}

export interface Collection {
  find(query?: Query, projection?: Projection): QueryCursor<Doc[]>;
  findOne(query: Query, projection?: Projection): QueryCursor<Doc | null>;
  count(query?: Query): QueryCursor<number>;
  insert<T extends Record<string, any>>(doc: T): Promise<T>;
  insert<T extends Record<string, any>>(docs: T[]): Promise<T[]>;
  /** The number of documents changed (or the documents with `returnUpdatedDocs`). */
  update(query: Query, update: Record<string, any>, options?: UpdateOptions): Promise<any>;
  remove(query: Query, options?: { multi?: boolean }): Promise<number>;
}
