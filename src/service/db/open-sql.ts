/**
 * Opens the catalog database named by the configuration: embedded PGlite in
 * a data folder by default, or a PostgreSQL server through a `pg` pool when
 * DATABASE_URL is set. Both speak the same SQL, so the catalog has one code path.
 */

import type { ServiceConfig } from '../config.ts';
import type { Sql } from '../contracts.ts';
import { openPgliteSql } from './pglite-sql.ts';
import { openPostgresSql } from './postgres-sql.ts';

export interface SqlOptions {
  /** Called after every statement with its duration (for scgraph_db_query_duration_seconds). */
  onQuery?(durationSeconds: number, ok: boolean): void;
  /** Called when an idle pooled connection fails; the pool replaces it. */
  onError?(error: Error): void;
  /**
   * Schema to work in instead of `public` (created if missing). Tests use it
   * so runs against a shared server do not collide.
   */
  schema?: string;
}

/**
 * Opens the database for `config.database`; the caller closes it.
 * Example: `const sql = await openSql(loadConfig(), { onQuery: observe })`.
 */
export async function openSql(
  config: Pick<ServiceConfig, 'database' | 'statementTimeoutMs'>,
  options: SqlOptions = {},
): Promise<Sql> {
  if (options.schema !== undefined) checkSchemaName(options.schema);
  return config.database.kind === 'postgres'
    ? openPostgresSql(config.database.url, config.statementTimeoutMs, options)
    : openPgliteSql(config.database.dataDir, options);
}

function checkSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`schema '${schema}' must be a lower-case SQL identifier`);
  }
}
