/**
 * Spec 9.1: the `wait` preference of E3's `Prefer` request header (RFC 7240). Only `wait` is
 * honoured; other preferences and their parameters are ignored.
 */

/** A larger `wait` counts as this many seconds. */
export const MAX_WAIT_SECONDS = 60;

/** `wait=N`: N seconds, no sign, no leading zero, no fraction. */
const WAIT_SECONDS = /^[1-9][0-9]*$/;

/** RFC 9110 token and quoted-string, and the optional whitespace around `=`. */
const PREFERENCE = /^[\t ]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[\t ]*=[\t ]*([^\t "]*|"(?:[^"\\]|\\.)*"))?[\t ]*$/s;

/**
 * The seconds to wait that `Prefer` asks for (1 to `MAX_WAIT_SECONDS`), or undefined: no `wait`
 * preference, or a malformed one (0, negative, fractional, non-numeric, missing), which is
 * ignored. As RFC 7240 says, only the first `wait` counts; several `Prefer` headers count as one
 * comma-separated list (Node joins them so), and a quoted value means the same as a bare one.
 */
export function preferredWaitSeconds(header: string | readonly string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = typeof header === 'string' ? header : header.join(',');
  for (const element of splitOutsideQuotes(value, ',')) {
    if (element.trim() === '') continue; // an empty list element (RFC 9110 5.6.1)
    const [preference = ''] = splitOutsideQuotes(element, ';', 2); // then its parameters
    const match = PREFERENCE.exec(preference);
    const name = match?.[1] ?? /^[\t ]*([^\t =;]*)/.exec(preference)?.[1] ?? '';
    if (name.toLowerCase() !== 'wait') continue;
    const seconds = match?.[2] === undefined ? undefined : unquoted(match[2]);
    if (seconds === undefined || !WAIT_SECONDS.test(seconds)) return undefined;
    return seconds.length > 2 ? MAX_WAIT_SECONDS : Math.min(Number(seconds), MAX_WAIT_SECONDS);
  }
  return undefined;
}

/** `text` split at `separator`s that are not inside a quoted string (at most `limit` parts). */
function splitOutsideQuotes(text: string, separator: string, limit = Number.POSITIVE_INFINITY): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length && parts.length < limit - 1; i++) {
    const char = text[i];
    if (quoted && char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** A word's value: a quoted string without its quotes and escapes, a token as it is. */
function unquoted(word: string): string {
  return word.startsWith('"') ? word.slice(1, -1).replace(/\\(.)/gs, '$1') : word;
}
