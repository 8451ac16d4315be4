/**
 * API-key authentication as an onRequest hook, so a request to a write
 * route is refused before its body (an upload) is read. Reads are anonymous;
 * a route asks for a role with `config: { role: 'curator' }`.
 */
import type { FastifyInstance } from 'fastify';
import { ScgraphError } from '../../errors.ts';
import type { Catalog, Role } from '../contracts.ts';
import { hashKey, presentedKey, roleAtLeast } from '../keys.ts';

export interface Principal {
  keyId: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role that may call the route; absent: anonymous. */
    role?: Role;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Resolves the presented key (401 when it is unknown) and enforces each route's role. */
export function installAuth(app: FastifyInstance, catalog: Catalog): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const key = presentedKey(request.headers);
    if (key !== null) {
      const found = await catalog.findApiKey(hashKey(key));
      // A wrong key is refused even on read routes: silently treating it as anonymous hides typos.
      if (!found) throw new ScgraphError('unauthorized', 'unknown API key');
      request.principal = { keyId: found.id, role: found.role };
    }
    const required = request.routeOptions.config?.role;
    if (!required) return;
    if (!request.principal) {
      throw new ScgraphError(
        'unauthorized',
        'an API key is required (Authorization: Bearer <key> or X-API-Key)',
        { details: { requiredRole: required } },
      );
    }
    if (!roleAtLeast(request.principal.role, required)) {
      throw new ScgraphError('forbidden', `this route needs the ${required} role`, {
        details: { requiredRole: required, role: request.principal.role },
      });
    }
  });
}
