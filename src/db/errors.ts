const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);

/**
 * True when an error means "the database cannot serve us right now" (unreachable, restarting,
 * overloaded, statement timed out): worth a 503 and a retry, not a 500 or a FAIL.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_ERROR_CODES.has(code)) return true;
    // 08 connection exception, 53 insufficient resources, 57P01-03 shutdown/cannot connect, 57014 cancelled (timeout)
    if (code.startsWith('08') || code.startsWith('53') || /^57P0[1-3]$/.test(code) || code === '57014') return true;
  }
  return /timeout exceeded when trying to connect|Connection terminated|connection is closed|Client has encountered a connection error|Query read timeout|Cannot use a pool after calling end/i.test(
    error.message,
  );
}

/** Errors after which the same work may well succeed when simply tried again. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return isDatabaseUnavailable(error) || code === '40001' || code === '40P01';
}
