/**
 * Versioned migrations: numbered .sql files in ./migrations, applied in name
 * order, each once, each in its own transaction, and recorded in
 * schema_migrations. A transaction-scoped advisory lock makes concurrent
 * starts against one Postgres server wait for each other instead of racing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Sql } from '../contracts.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;
// Any fixed number works; it only has to be the same for every instance.
const LOCK_ID = 740_212_001;

export interface Migration {
  /** File name without `.sql`, e.g. '0001_catalog'. */
  name: string;
  sql: string;
}

/** The migrations shipped with this build, in the order they apply. */
export function listMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => MIGRATION_NAME.test(file))
    .sort()
    .map((file) => ({
      name: file.slice(0, -'.sql'.length),
      sql: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'),
    }));
}

/** Applies every pending migration; returns the names applied now (empty when up to date). */
export async function migrate(sql: Sql, migrations = listMigrations()): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of migrations) {
    const didApply = await sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           name text PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [
        migration.name,
      ]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [migration.name]);
      return true;
    });
    if (didApply) applied.push(migration.name);
  }
  return applied;
}

/** Which shipped migrations are recorded as applied and which are still pending. */
export async function migrationState(
  sql: Sql,
  migrations = listMigrations(),
): Promise<{ applied: string[]; pending: string[] }> {
  const table = await sql.query<{ exists: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`,
  );
  const rows = table[0]?.exists
    ? await sql.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')
    : [];
  const applied = rows.map((row) => row.name);
  const done = new Set(applied);
  return { applied, pending: migrations.map((m) => m.name).filter((name) => !done.has(name)) };
}
