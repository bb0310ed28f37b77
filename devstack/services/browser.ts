/**
 * Debian's Chromium for the console's real-browser tests, driven by playwright-core (whose own
 * browser downloads are not used): installed with apt when missing, by the tests' setup only,
 * so the quick start does not carry a browser.
 */
import { existsSync } from 'node:fs';
import { aptInstall } from './apt';

export const CHROMIUM = '/usr/bin/chromium';

export function ensureChromium(log: (line: string) => void): string {
  if (!existsSync(CHROMIUM)) aptInstall(['chromium'], log);
  return CHROMIUM;
}

/**
 * Flags for a headless run on a machine without a display or an outside network: no sandbox
 * under root, and none of Chromium's own connections (updates, sync, safe browsing), which
 * this machine refuses many at a time.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];
