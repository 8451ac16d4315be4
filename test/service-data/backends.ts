/**
 * The database backends every catalog test runs against: PGlite in a temp
 * folder, and the PostgreSQL server at TEST_DATABASE_URL (default
 * postgresql://postgres@127.0.0.1:5432/test) in a fresh schema dropped after
 * the run. When the server is unreachable its suite is skipped with the reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Sql } from '../../src/service/contracts.ts';
import { openSql, type SqlOptions } from '../../src/service/db/open-sql.ts';

export const POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** false, or why this backend cannot run here. */
  skip: string | false;
  /** Opens an empty database; `cleanup` closes it and removes its data. */
  open(options?: SqlOptions & { statementTimeoutMs?: number }): Promise<OpenBackend>;
}

export interface OpenBackend {
  sql: Sql;
  /** Opens a second connection (pool) on the same data, for concurrency tests. */
  reopen(options?: SqlOptions & { statementTimeoutMs?: number }): Promise<Sql>;
  cleanup(): Promise<void>;
}

let counter = 0;

/** Both backends; the Postgres one carries a skip reason when the server does not answer. */
export async function sqlBackends(): Promise<Backend[]> {
  const unreachable = await postgresUnreachable();
  return [
    {
      name: 'pglite',
      skip: false,
      async open(options = {}) {
        const dir = mkdtempSync(join(tmpdir(), 'scgraph-pglite-'));
        const config = (timeout?: number) => ({
          database: { kind: 'pglite' as const, dataDir: dir },
          statementTimeoutMs: timeout ?? 5000,
        });
        const sql = await openSql(config(options.statementTimeoutMs), options);
        return {
          sql,
          reopen: () => Promise.reject(new Error('PGlite is one connection')),
          async cleanup() {
            await sql.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
    {
      name: 'postgres',
      skip: unreachable ? `PostgreSQL at ${POSTGRES_URL} is not reachable (${unreachable})` : false,
      async open(options = {}) {
        const schema = `scgraph_test_${process.pid}_${++counter}_${Math.floor(performance.now())}`;
        const config = (timeout?: number) => ({
          database: { kind: 'postgres' as const, url: POSTGRES_URL },
          statementTimeoutMs: timeout ?? 5000,
        });
        const opened: Sql[] = [];
        const reopen = async (more: SqlOptions & { statementTimeoutMs?: number } = {}) => {
          const sql = await openSql(config(more.statementTimeoutMs), { ...more, schema });
          opened.push(sql);
          return sql;
        };
        const sql = await reopen(options);
        return {
          sql,
          reopen,
          async cleanup() {
            await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
            for (const s of opened) await s.close();
          },
        };
      },
    },
  ];
}

async function postgresUnreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
