/**
 * The small interfaces the service is built on. Each has an embedded default
 * (PGlite, a local folder, an in-process map) and a real-service driver
 * (PostgreSQL, S3-compatible storage, Redis) chosen by configuration; the
 * HTTP layer only ever sees these.
 */
import type { Readable } from 'node:stream';

// ---------------------------------------------------------------- database

/** The one SQL surface both Postgres drivers (PGlite and `pg`) provide. */
export interface Sql {
  /** Runs one parameterized statement ($1, $2 ...) and returns its rows. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Runs `fn` inside one transaction; it commits when `fn` resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** Current open connections (for scgraph_db_connections_active). */
  activeConnections(): number;
  close(): Promise<void>;
  readonly driver: 'pglite' | 'postgres';
}

// ---------------------------------------------------------------- catalog

export type Role = 'reader' | 'curator' | 'admin';

export interface FileRecord {
  /** File name inside the package: 'graph.npz', 'dataset.h5ad', 'manifest.json'. */
  name: string;
  format: string;
  bytes: number;
  sha256: string;
  storageKey: string;
}

export interface LabelSummary {
  column: string;
  classes: Record<string, number>;
}

export interface VersionInput {
  dataset: string;
  title: string;
  description: string;
  organism: string;
  tissue: string;
  modality: string;
  nCells: number;
  nGenes: number;
  labels: LabelSummary[];
  tasks: string[];
  graphKind: string;
  splitKind: string | null;
  graphParams: Record<string, unknown>;
  /** Search filters read `edges` (or `nEdges`), `meanDegree` and `homophily` from here. */
  graphStats: Record<string, unknown>;
  license: string;
  citation: string;
  doi: string | null;
  sourceSha256: string;
  manifest: Record<string, unknown>;
  files: FileRecord[];
}

export interface VersionRecord extends VersionInput {
  version: number;
  createdAt: string;
  status: 'live' | 'retracted';
  retractedReason: string | null;
}

export interface DatasetSummary {
  name: string;
  latest: VersionRecord;
  downloads: number;
}

export interface SearchQuery {
  q?: string;
  organism?: string[];
  tissue?: string[];
  modality?: string[];
  task?: string[];
  graphKind?: string[];
  splitKind?: string[];
  minCells?: number;
  maxCells?: number;
  minEdges?: number;
  maxEdges?: number;
  minMeanDegree?: number;
  maxMeanDegree?: number;
  minClasses?: number;
  maxClasses?: number;
  minHomophily?: number;
  maxHomophily?: number;
  sort?: 'relevance' | 'name' | 'cells' | 'edges' | 'created' | 'downloads';
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

export interface SearchResult {
  items: DatasetSummary[];
  nextCursor: string | null;
  total: number;
  facets: Record<string, Record<string, number>>;
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'retryable';

export interface JobRecord {
  id: string;
  kind: string;
  state: JobState;
  params: Record<string, unknown>;
  progress: { step: string; fraction: number; message?: string }[];
  error: string | null;
  result: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

/** Datasets, versions, keys and jobs, on either Postgres driver. */
/** What the catalog keeps of an API key. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly role: Role;
  readonly label: string;
  /** ISO time. */
  readonly createdAt: string;
}

export interface Catalog {
  /** Applies pending migrations in order; returns the names applied. */
  migrate(): Promise<string[]>;
  migrationState(): Promise<{ applied: string[]; pending: string[] }>;

  /**
   * Publishes a new version atomically: the caller has already stored and
   * verified every file; the version becomes visible in one transaction.
   * Returns the new version number (1 for a new dataset).
   */
  publishVersion(input: VersionInput): Promise<VersionRecord>;
  getDataset(name: string): Promise<DatasetSummary | null>;
  getVersion(name: string, version: number): Promise<VersionRecord | null>;
  listVersions(name: string): Promise<VersionRecord[]>;
  search(query: SearchQuery): Promise<SearchResult>;
  retractVersion(name: string, version: number, reason: string): Promise<VersionRecord>;
  recordDownload(name: string): Promise<void>;
  counts(): Promise<{ datasets: number; versions: number; retracted: number }>;

  /** Stores only the hash; returns the key id. */
  createApiKey(keyHash: string, role: Role, label: string): Promise<string>;
  findApiKey(keyHash: string): Promise<{ id: string; role: Role } | null>;
  /** Every key, oldest first (never the key itself: only its hash is stored). */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Deletes a key so it is refused from the next request on; false when no key has this id. */
  revokeApiKey(id: string): Promise<boolean>;

  createJob(kind: string, params: Record<string, unknown>): Promise<JobRecord>;
  updateJob(
    id: string,
    patch: Partial<Pick<JobRecord, 'state' | 'progress' | 'error' | 'result'>>,
  ): Promise<JobRecord>;
  getJob(id: string): Promise<JobRecord | null>;
  /** Marks queued/running jobs retryable (graceful shutdown) and returns how many. */
  markUnfinishedRetryable(): Promise<number>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- storage

export interface ObjectInfo {
  key: string;
  bytes: number;
  sha256?: string;
}

/** Byte storage that knows no file formats: a local folder or an S3 bucket. */
export interface ObjectStore {
  readonly driver: 'local' | 's3';
  /** Stores a local file under `key`; resolves once durable. */
  putFile(
    key: string,
    path: string,
    meta?: { sha256?: string; contentType?: string },
  ): Promise<ObjectInfo>;
  /** Streams an object, or the inclusive byte range [start, end]. */
  get(key: string, range?: { start: number; end: number }): Promise<Readable>;
  head(key: string): Promise<ObjectInfo | null>;
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
}

// ---------------------------------------------------------------- cache

/** Shared cache and counters: an in-process map, or Redis for several instances. */
export interface Cache {
  readonly driver: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes every key that starts with `prefix` (cache invalidation after a publish). */
  deletePrefix(prefix: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
