import { Browser, chromium } from 'playwright-core';

/** Found by the global setup (test/support/prerequisites.js), which stops the run when there is none. */
const CHROMIUM = process.env.AURA_TEST_CHROMIUM as string;

/** Flags for this machine's closed network: no background traffic, no sandbox as root. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's Chromium driven by playwright-core (a fresh temporary profile each launch). */
export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
