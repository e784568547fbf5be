import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/**
 * A local stand-in for an OpenID Connect identity provider (spec 9.3): a real HTTP server on
 * 127.0.0.1 that serves `/.well-known/openid-configuration` and a JWKS with generated keys, and
 * signs tokens. It counts the requests it gets, can withdraw and publish keys (rotation), and can
 * fail (every request's connection is reset) to play an unreachable issuer.
 */

export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256';

interface SigningKey {
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
  published: boolean;
}

export interface TokenOptions {
  kid: string;
  /** Seconds since the epoch the token's times are relative to (default: now). */
  now?: number;
  /** Added to the default claims (iss, aud, exp in 5 min, iat); `undefined` removes one. */
  claims?: Record<string, unknown>;
}

export class IdentityProvider {
  readonly audience = 'on-site-roles';
  /** Requests received, by path. */
  readonly requests = { discovery: 0, jwks: 0 };
  /** While true, every request's connection is reset (counted all the same). */
  failing = false;
  /** The discovery document's `issuer`: this provider's own (default), another, or none at all. */
  discoveryIssuer: 'own' | 'none' | string = 'own';
  private readonly keys = new Map<string, SigningKey>();

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(): Promise<IdentityProvider> {
    let provider: IdentityProvider | undefined;
    const server = createServer((request, response) => provider?.answer(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    provider = new IdentityProvider(server, `http://127.0.0.1:${port}`);
    return provider;
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  /** Generates a key pair; a published one is in the JWKS from the next request on. */
  async addKey(kid: string, alg: SigningAlgorithm, { published = true } = {}): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    this.keys.set(kid, { alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey), published });
  }

  publish(kid: string): void {
    this.key(kid).published = true;
  }

  withdraw(kid: string): void {
    this.key(kid).published = false;
  }

  /** The public key as PEM text (what an attacker would use as an HS256 secret). */
  publicPem(kid: string): string {
    return this.key(kid).publicPem;
  }

  /** A token signed with the key `kid`, by default valid for this issuer and audience for 5 minutes. */
  async sign({ kid, now = Math.floor(Date.now() / 1000), claims = {} }: TokenOptions): Promise<string> {
    const key = this.key(kid);
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.audience,
      iat: now,
      exp: now + 300,
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload as JWTPayload)
      .setProtectedHeader({ alg: key.alg, kid, typ: 'JWT' })
      .sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private key(kid: string): SigningKey {
    const key = this.keys.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    return key;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? '';
    if (url === '/.well-known/openid-configuration') this.requests.discovery += 1;
    else if (url === '/jwks') this.requests.jwks += 1;
    if (this.failing) {
      request.socket.destroy();
      return;
    }
    const json = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url === '/.well-known/openid-configuration') {
      const issuer = this.discoveryIssuer === 'own' ? this.issuer : this.discoveryIssuer;
      json(200, {
        ...(issuer === 'none' ? {} : { issuer }),
        jwks_uri: this.jwksUrl,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    } else if (url === '/jwks') {
      json(200, { keys: [...this.keys.values()].filter((key) => key.published).map((key) => key.publicJwk) });
    } else {
      json(404, { error: 'not found' });
    }
  }
}
