/**
 * API keys: `sk_` plus 32 random bytes (base64url). Only the sha256 of a key
 * is stored; the plain key exists once, in the answer to `createKey`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { invalidParameter } from '../errors.ts';
import type { Catalog, Role } from './contracts.ts';

const ROLE_RANK: Record<Role, number> = { reader: 0, curator: 1, admin: 2 };

export const ROLES = Object.keys(ROLE_RANK) as Role[];

/** The stored form of a key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True when `role` may do what `required` may (reader < curator < admin). */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[required];
}

/**
 * Creates a key with `role`, stores its hash and returns the plain key: the
 * only time it is ever visible.
 *
 * @example const { key } = await createKey(catalog, 'curator', 'ingest bot');
 */
export async function createKey(
  catalog: Catalog,
  role: Role,
  label: string,
): Promise<{ id: string; key: string; role: Role }> {
  if (!(role in ROLE_RANK)) {
    throw invalidParameter('role', `must be one of ${ROLES.join(', ')}`, { found: String(role) });
  }
  const key = `sk_${randomBytes(32).toString('base64url')}`;
  const id = await catalog.createApiKey(hashKey(key), role, label);
  return { id, key, role };
}

/** The key a request presents (Authorization: Bearer, or X-API-Key), or null. */
export function presentedKey(
  headers: Record<string, string | string[] | undefined>,
): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1]!;
  }
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  return null;
}
