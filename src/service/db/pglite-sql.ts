/**
 * PGlite driver: real Postgres compiled to WASM, running in this process with
 * its data folder on disk. It is one connection, so a transaction holds a
 * lock that every other statement waits for.
 */
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Sql } from '../contracts.ts';
import type { SqlOptions } from './open-sql.ts';
import { timed } from './timed.ts';

type Queryable = Pick<PGlite | Transaction, 'query' | 'exec'>;

/** Opens (creating when missing) a PGlite database in `dataDir`. */
export async function openPgliteSql(dataDir: string, options: SqlOptions = {}): Promise<Sql> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  // statement_timeout is not set here: PGlite runs on the event loop without
  // the timer interrupts Postgres uses, so the setting is accepted but never fires.
  if (options.schema) {
    await db.exec(
      `CREATE SCHEMA IF NOT EXISTS ${options.schema}; SET search_path TO ${options.schema}`,
    );
  }
  const lock = new Mutex();
  let open = true;

  const sql: Sql = {
    driver: 'pglite',
    query: (text, params) => lock.run(() => runQuery(db, options, text, params)),
    exec: (script) => lock.run(() => runExec(db, options, script)),
    transaction: (fn) => lock.run(() => db.transaction((tx) => fn(transactionSql(tx, options, 0)))),
    activeConnections: () => (open ? 1 : 0),
    async close() {
      if (!open) return;
      open = false;
      await lock.run(() => db.close());
    },
  };
  return sql;
}

/** The Sql seen inside a transaction: no lock (it is held); nesting uses savepoints. */
function transactionSql(tx: Transaction, options: SqlOptions, depth: number): Sql {
  return {
    driver: 'pglite',
    query: (text, params) => runQuery(tx, options, text, params),
    exec: (script) => runExec(tx, options, script),
    async transaction(fn) {
      const savepoint = `sp_${depth + 1}`;
      await tx.exec(`SAVEPOINT ${savepoint}`);
      try {
        const result = await fn(transactionSql(tx, options, depth + 1));
        await tx.exec(`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (error) {
        await tx.exec(`ROLLBACK TO SAVEPOINT ${savepoint}`);
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
  db: Queryable,
  options: SqlOptions,
  text: string,
  params?: readonly unknown[],
): Promise<Row[]> {
  const result = await timed(options.onQuery, () => db.query<Row>(text, params as unknown[]));
  return result.rows;
}

async function runExec(db: Queryable, options: SqlOptions, script: string): Promise<void> {
  await timed(options.onQuery, () => db.exec(script));
}

/** A FIFO lock: each `run` starts after the previous one settles. */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
