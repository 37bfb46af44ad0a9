/**
 * How the Node-side tests start Chromium: CHROMIUM_PATH when set (another build, another OS),
 * else Debian's /usr/bin/chromium (installed by .ci/run). This machine's network is closed:
 * without the background-networking flags Chromium keeps dialling Google's hosts.
 */
import type { LaunchOptions } from 'playwright-core'

export const CHROMIUM: LaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
  ],
}
