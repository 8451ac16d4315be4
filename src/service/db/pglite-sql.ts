/**
 * PGlite driver: real Postgres compiled to WASM, running in this process with
 * its data folder on disk. It is one connection, so a transaction holds a
 * lock that every other statement waits for.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { ScgraphError } from '../../errors.ts';
import type { Sql } from '../contracts.ts';
import type { SqlOptions } from './open-sql.ts';
import { timed } from './timed.ts';

type Queryable = Pick<PGlite | Transaction, 'query' | 'exec'>;

/** Opens (creating when missing) a PGlite database in `dataDir`. */
export async function openPgliteSql(dataDir: string, options: SqlOptions = {}): Promise<Sql> {
  mkdirSync(dataDir, { recursive: true });
  const release = claimDataDir(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir);
  } catch (error) {
    release();
    throw error;
  }
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
      try {
        await lock.run(() => db.close());
      } finally {
        release();
      }
    },
  };
  return sql;
}

/** Beside a PGlite data folder (not in it: Postgres owns that): the process that has it open. */
const OWNER_SUFFIX = '.owner.pid';
/** Handles this process holds per data folder (the owner file goes with the last). */
const held = new Map<string, number>();

/**
 * Marks `dataDir` as this process's: PGlite is a single-process database, so
 * a second process (`scgraph keys create` beside a running hub) would write
 * where the first never reads, and its writes would be lost. A folder another
 * live process holds is refused with a message saying so; an owner file left
 * by a process that is gone is taken over. Returns the release function.
 */
function claimDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const file = `${dir}${OWNER_SUFFIX}`;
  const count = held.get(dir) ?? 0;
  if (count === 0) {
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
        const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
        if (owner !== process.pid && isAlive(owner)) {
          throw new ScgraphError(
            'conflict',
            `the embedded database is open in process ${owner} (a running hub?): stop it first, or set DATABASE_URL to a PostgreSQL server, which many processes can share`,
            { file: dataDir },
          );
        }
        rmSync(file, { force: true });
      }
    }
  }
  held.set(dir, count + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (held.get(dir) ?? 1) - 1;
    if (left > 0) held.set(dir, left);
    else {
      held.delete(dir);
      rmSync(file, { force: true });
    }
  };
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
