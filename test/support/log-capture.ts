import { Writable } from 'node:stream';

const PERSONAL_FIELDS = new Set(['name', 'firstname', 'additionalname', 'email', 'taxnumber', 'number']);
// Shorter values ("Max", "1234") also occur in ordinary words, unit numbers and ids.
const MIN_LENGTH = 5;
const MIN_PHONE_LENGTH = 7;

/**
 * Captures everything an app logs (at trace level) and remembers every piece of personal data
 * sent to it — partner names, e-mails, tax numbers, phone numbers, passwords — so a test can
 * assert that none of it reached the log.
 */
export class LogCapture {
  private readonly lines: string[] = [];
  private readonly secrets = new Set<string>();

  readonly stream = new Writable({
    write: (chunk, _encoding, done) => {
      this.lines.push(String(chunk));
      done();
    },
  });

  /** Remembers the personal fields of a request body (object or JSON text). */
  rememberBody(body: unknown): void {
    let value = body;
    if (typeof body === 'string') {
      try {
        value = JSON.parse(body);
      } catch {
        return;
      }
    }
    // Iterative: test bodies may be nested very deeply on purpose.
    const stack: { node: unknown; key?: string }[] = [{ node: value }];
    while (stack.length > 0) {
      const { node, key } = stack.pop() as { node: unknown; key?: string };
      if (typeof node === 'string' && key && PERSONAL_FIELDS.has(key)) {
        if (key !== 'number' || node.length >= MIN_PHONE_LENGTH) this.remember(node);
      } else if (Array.isArray(node)) {
        for (const item of node) stack.push({ node: item, ...(key ? { key } : {}) });
      } else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) stack.push({ node: v, key: k });
      }
    }
  }

  /** Remembers the password (and the whole header) of a Basic Authorization header, or a bearer token. */
  rememberAuthorization(header: unknown): void {
    // A bearer token: the whole token and each of its parts (header, claims, signature).
    if (typeof header === 'string' && /^bearer /i.test(header)) {
      const token = header.slice(7).trim();
      for (const part of [token, ...token.split('.')]) this.remember(part);
      return;
    }
    if (typeof header !== 'string' || !/^basic /i.test(header)) return;
    this.remember(header.slice(6));
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    this.remember(decoded.slice(decoded.indexOf(':') + 1));
  }

  remember(secret: string): void {
    if (secret.trim().length >= MIN_LENGTH) this.secrets.add(secret);
  }

  /** Log lines that contain `text`. */
  matching(text: string): string[] {
    return this.lines.filter((line) => line.includes(text));
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** Every remembered secret found in the log (as sent, or JSON-escaped). */
  leaks(): string[] {
    const log = this.lines.join('');
    return [...this.secrets].filter(
      (secret) => log.includes(secret) || log.includes(JSON.stringify(secret).slice(1, -1)),
    );
  }
}
