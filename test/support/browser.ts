import { chromium, type Browser } from 'playwright-core';
import type { TestApp } from './test-app';

/**
 * Debian's Chromium, headless, with the flags a machine without internet access needs (no update checks,
 * no sync, no sandbox as root). Browser downloads by npm packages cannot work there.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Makes a test app listen on a loopback port (a free one unless one is given: single sign-on needs its
 * address before it starts), for the browser; returns its base URL.
 */
export async function listen(node: TestApp, port = 0): Promise<string> {
  const server = node.app.getHttpServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
