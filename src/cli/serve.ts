/** The service side of the CLI: serve, migrate, keys. */
import { createCatalog } from '../service/catalog/create-catalog.ts';
import { loadConfig } from '../service/config.ts';
import type { ApiKeyRecord, Catalog, Role } from '../service/contracts.ts';
import { openSql } from '../service/db/open-sql.ts';
import { createKey } from '../service/keys.ts';
import { startServer } from '../service/server.ts';

/** Serves the hub until SIGTERM/SIGINT; seeds the bundled datasets unless told not to. */
export async function serveHub(options: { seed: boolean }): Promise<void> {
  const server = await startServer(loadConfig(), { seed: options.seed });
  process.stderr.write(
    `scgraph: serving on ${server.url} (API at ${server.url}/api/v1/datasets)\n`,
  );
}

async function withCatalog<T>(fn: (catalog: Catalog) => Promise<T>): Promise<T> {
  const catalog = createCatalog(await openSql(loadConfig()));
  try {
    return await fn(catalog);
  } finally {
    await catalog.close();
  }
}

/** Applies pending migrations; returns their names. */
export function migrateCatalog(): Promise<string[]> {
  return withCatalog((catalog) => catalog.migrate());
}

/** Creates an API key (migrating first so a fresh data folder works) and returns it once. */
export function createApiKey(role: Role, label: string): Promise<string> {
  return withCatalog(async (catalog) => {
    await catalog.migrate();
    return (await createKey(catalog, role, label)).key;
  });
}

/** Every API key's id, role, label and creation time (never the key: only its hash is kept). */
export function listApiKeys(): Promise<ApiKeyRecord[]> {
  return withCatalog(async (catalog) => {
    await catalog.migrate();
    return catalog.listApiKeys();
  });
}

/** Revokes the key with this id; false when there is none. */
export function revokeApiKey(id: string): Promise<boolean> {
  return withCatalog(async (catalog) => {
    await catalog.migrate();
    return catalog.revokeApiKey(id);
  });
}
