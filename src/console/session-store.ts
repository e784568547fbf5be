import { createHash } from 'node:crypto';
import type { Session } from 'fastify';
import type { Kysely } from 'kysely';
import {
  deleteConsoleSession,
  findConsoleSession,
  insertConsoleSession,
  updateConsoleSession,
} from '../db/repositories/console.js';
import type { Database } from '../db/schema.js';

/**
 * What a console session holds. `operator` and `operatorDigest` are set by the sign-in; `readOnly`
 * is read from the operator row with every request (never stored); `_csrf` is the secret of
 * @fastify/csrf-protection; `flash` a one-time notice for the next page.
 */
declare module 'fastify' {
  interface Session {
    operator?: string;
    /** Digest of the password hash the operator signed in with (see `operatorDigest`). */
    operatorDigest?: string;
    readOnly?: boolean;
    _csrf?: string;
    flash?: string;
  }
}

type Callback = (error?: unknown) => void;

/** The session id is the cookie's secret: the database keeps only this hash of it. */
export const sessionIdHash = (sessionId: string): string => createHash('sha256').update(sessionId).digest('hex');

/** The digest a session keeps of the operator's password hash (the database computes the same). */
export const operatorDigest = (passwordHash: string): string =>
  createHash('sha256').update(passwordHash, 'utf8').digest('hex');

/**
 * Marks a session read from the store (the plugin copies it into the request's session): saving it
 * again only updates its row, so a session deleted meanwhile (signed out in another tab, expired,
 * ended) is never written back by a request that was under way.
 */
const RESTORED = '_restored';

/** Fields of the session object that are not stored as its data. */
const NOT_DATA = new Set(['cookie', 'operator', 'operatorDigest', 'readOnly', RESTORED]);

/**
 * @fastify/session's store over PostgreSQL (and the embedded database): every server process
 * sees every session. Idle expiry is the database's: each save moves `expires_at` to
 * `idleSeconds` from now, and a session not saved for that long is not found any more (the plugin
 * saves on every response: `rolling`). A session whose operator was revoked, or whose password was
 * rotated since it signed in, is deleted when it is next read: it ends at its next request.
 */
export class ConsoleSessionStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly idleSeconds: number,
  ) {}

  get(sessionId: string, callback: (error: unknown, session?: Session | null) => void): void {
    const idHash = sessionIdHash(sessionId);
    findConsoleSession(this.db, idHash)
      .then(async (stored): Promise<Session | null> => {
        if (!stored) return null;
        if (stored.operator && !stored.operator.current) {
          await deleteConsoleSession(this.db, idHash);
          return null;
        }
        // No cookie: the plugin gives a restored session the configured one, expiring from now.
        return {
          ...stored.data,
          [RESTORED]: true,
          ...(stored.operator
            ? {
                operator: stored.operator.name,
                operatorDigest: stored.operator.digest,
                readOnly: stored.operator.readOnly,
              }
            : {}),
        } as unknown as Session;
      })
      .then(
        (session) => callback(null, session),
        (error) => callback(error),
      );
  }

  set(sessionId: string, session: Session, callback: Callback): void {
    const data = Object.fromEntries(Object.entries(session).filter(([key]) => !NOT_DATA.has(key)));
    const operator =
      typeof session.operator === 'string' && typeof session.operatorDigest === 'string'
        ? { name: session.operator, digest: session.operatorDigest }
        : null;
    const toSave = { idHash: sessionIdHash(sessionId), operator, data, idleSeconds: this.idleSeconds };
    const restored = (session as unknown as Record<string, unknown>)[RESTORED] === true;
    (restored ? updateConsoleSession(this.db, toSave) : insertConsoleSession(this.db, toSave))
      .then(() => callback())
      .catch(callback);
  }

  destroy(sessionId: string, callback: Callback): void {
    deleteConsoleSession(this.db, sessionIdHash(sessionId))
      .then(() => callback())
      .catch(callback);
  }
}
