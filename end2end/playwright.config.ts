import { defineConfig } from '@playwright/test';

// The built page (dist/, from scripts/build-web.sh) served under a sub-path, driven in
// Debian's Chromium (no browser download). The flags keep Chromium off the network.
const port = Number(process.env.E2E_PORT ?? 4173);
export const base = '/course/playground/';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: 'node serve.mjs',
    cwd: __dirname,
    env: { PORT: String(port), BASE: base },
    url: `http://127.0.0.1:${port}${base}`,
    reuseExistingServer: false,
    timeout: 20_000,
  },
});
