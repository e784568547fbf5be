import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium for the browser tests (never a downloaded browser), started headless with the
 * flags this machine's closed network needs (without the background-networking ones it keeps
 * trying Google's hosts).
 */
export const CHROMIUM = '/usr/bin/chromium';

/** Why a browser test cannot run here ('' when it can); in CI a missing browser is an error. */
export function browserSkipReason(what: string): string {
  const reason = existsSync(CHROMIUM) ? '' : `${CHROMIUM} is not installed (Debian package chromium)`;
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`${what} needs ${CHROMIUM} in CI`);
    console.warn(`[skipped] ${what}: ${reason}`);
  }
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
