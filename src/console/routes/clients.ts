import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  clientBillingUnits,
  clientSummaries,
  findClient,
  findCredential,
  lastDeliveryByCredential,
} from '../../db/repositories/console.js';
import { listOidcClients } from '../../db/repositories/oidc-clients.js';
import { listCredentials, revokeCredential } from '../../db/repositories/operator.js';
import { CONSOLE_PREFIX, type ConsoleContext, HIDDEN } from '../context.js';
import { ConsoleError, notFound, redirect, renderPage, signedInOperator } from '../render.js';

/** The `oidc:<claim value>` name deliveries record for a bearer token's principal (src/db/repositories/oidc-clients.ts). */
const bearerCredential = (claimValue: string) => `oidc:${claimValue}`;

/**
 * Read-only operators see everything but change nothing (spec 10.1): no revoke button for them,
 * and a revoke asked for anyway (a forged form) is 403. Their access is the operator row's as of
 * this request (src/console/session-store.ts).
 */
async function requireWriteAccess(request: FastifyRequest): Promise<void> {
  if (signedInOperator(request)?.readOnly !== false) {
    throw new ConsoleError(403, 'Not allowed', 'Read-only operators cannot revoke credentials.');
  }
}

/** Clients with their billing units, credentials (state, last use) and OIDC mappings; revoking a credential. */
export function clientRoutes(pages: FastifyInstance, { db }: ConsoleContext): void {
  const clientPage = (clientId: string) => `${CONSOLE_PREFIX}/clients/${encodeURIComponent(clientId)}`;

  /** The credential named by the path, of the client named by the path. */
  async function credentialOfPath(request: FastifyRequest) {
    const { clientId, username } = request.params as { clientId: string; username: string };
    const credential = await findCredential(db, username);
    if (!credential || credential.client_id !== clientId) {
      throw notFound(`Client ${clientId} has no credential ${username}.`);
    }
    return credential;
  }

  pages.get('/clients', HIDDEN, async (request, reply) =>
    renderPage(request, reply, 'clients', { title: 'Clients', section: 'clients', clients: await clientSummaries(db) }),
  );

  pages.get('/clients/:clientId', HIDDEN, async (request, reply) => {
    const { clientId } = request.params as { clientId: string };
    const client = await findClient(db, clientId);
    if (!client) throw notFound(`There is no client ${clientId}.`);
    const [credentials, oidc, billingUnits, lastDelivery] = await Promise.all([
      listCredentials(db, clientId),
      listOidcClients(db, clientId),
      clientBillingUnits(db, clientId),
      lastDeliveryByCredential(db, clientId),
    ]);
    return renderPage(request, reply, 'client', {
      title: `Client ${client.id}`,
      section: 'clients',
      client,
      readOnly: signedInOperator(request)?.readOnly !== false,
      credentials: credentials.map((credential) => ({
        ...credential,
        lastDelivery: lastDelivery.get(credential.username),
      })),
      oidc: oidc.map((mapping) => ({
        ...mapping,
        lastDelivery: lastDelivery.get(bearerCredential(mapping.claim_value)),
      })),
      billingUnits,
    });
  });

  const revokePath = '/clients/:clientId/credentials/:username/revoke';

  // The confirmation: what revoking means, and the form that does it.
  pages.get(revokePath, { ...HIDDEN, preHandler: requireWriteAccess }, async (request, reply) => {
    const credential = await credentialOfPath(request);
    if (credential.revoked_at) {
      request.session.flash = `Credential ${credential.username} is revoked already.`;
      return redirect(reply, clientPage(credential.client_id));
    }
    return renderPage(request, reply, 'revoke', {
      title: `Revoke ${credential.username}`,
      section: 'clients',
      credential,
    });
  });

  pages.post(revokePath, { ...HIDDEN, preHandler: requireWriteAccess }, async (request, reply) => {
    const credential = await credentialOfPath(request);
    // The same change as `osr credential revoke`: every server refuses it from its next request on.
    const outcome = await revokeCredential(db, credential.username);
    request.log.info({ scope: 'console', credential: credential.username, outcome }, 'credential revoked');
    request.session.flash =
      outcome === 'revoked'
        ? `Credential ${credential.username} is revoked: every server refuses it from now on.`
        : `Credential ${credential.username} was revoked already.`;
    return redirect(reply, clientPage(credential.client_id));
  });
}
