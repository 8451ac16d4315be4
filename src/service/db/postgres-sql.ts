/**
 * PostgreSQL server driver: a `pg` pool whose every connection carries the
 * configured statement_timeout, so no query can hold a connection forever.
 */
import pg from 'pg';
import type { Sql } from '../contracts.ts';
import type { SqlOptions } from './open-sql.ts';
import { timed } from './timed.ts';

type Client = Pick<pg.PoolClient, 'query'>;

/** Opens a pool on `url`; statements running longer than `statementTimeoutMs` are cancelled. */
export async function openPostgresSql(
  url: string,
  statementTimeoutMs: number,
  options: SqlOptions = {},
): Promise<Sql> {
  const settings = [`-c statement_timeout=${statementTimeoutMs}`];
  if (options.schema) settings.push(`-c search_path=${options.schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    options: settings.join(' '),
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // Without a listener an idle connection's error would crash the process.
  pool.on('error', (error) => options.onError?.(error));
  if (options.schema) {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
  }
  let closed = false;

  return {
    driver: 'postgres',
    query: (text, params) => runQuery(pool, options, text, params),
    exec: (script) => runExec(pool, options, script),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(transactionSql(client, options, 0));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // A connection that cannot roll back is not safe to reuse.
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    activeConnections: () => pool.totalCount,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function transactionSql(client: Client, options: SqlOptions, depth: number): Sql {
  return {
    driver: 'postgres',
    query: (text, params) => runQuery(client, options, text, params),
    exec: (script) => runExec(client, options, script),
    async transaction(fn) {
      const savepoint = `sp_${depth + 1}`;
      await client.query(`SAVEPOINT ${savepoint}`);
      try {
        const result = await fn(transactionSql(client, options, depth + 1));
        await client.query(`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (error) {
        await client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw error;
      }
    },
    activeConnections: () => 1,
    close: async () => {
      throw new Error('close() called inside a transaction');
    },
  };
}

async function runQuery<Row>(
  client: Client,
  options: SqlOptions,
  text: string,
  params?: readonly unknown[],
): Promise<Row[]> {
  const result = await timed(options.onQuery, () =>
    client.query(text, params as unknown[] | undefined),
  );
  return result.rows as Row[];
}

async function runExec(client: Client, options: SqlOptions, script: string): Promise<void> {
  // Without parameters pg uses the simple protocol, which accepts several statements.
  await timed(options.onQuery, () => client.query(script));
}
