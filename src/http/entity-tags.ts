import { createHash } from 'node:crypto';

/**
 * A weak entity tag (RFC 9110 section 8.8.3) of an answer's parts: weak, because the answer also
 * carries the time it was made, which the tag leaves out. A null or undefined part counts apart
 * from an empty string.
 */
export function unitEntityTag(parts: readonly (string | null | undefined)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part == null ? '\u0001' : `\u0002${part}`).update('\u0000');
  return `W/"${hash.digest('base64url').slice(0, 32)}"`;
}

/**
 * Whether an `If-None-Match` field names the tag (RFC 9110 section 13.1.2: weak comparison, so
 * `W/` is ignored on both sides; `*` matches any current representation).
 */
export function matchesEntityTag(ifNoneMatch: string | undefined, tag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const opaque = (candidate: string) => candidate.trim().replace(/^W\//, '');
  const wanted = opaque(tag);
  return ifNoneMatch.split(',').some((candidate) => candidate.trim() === '*' || opaque(candidate) === wanted);
}
