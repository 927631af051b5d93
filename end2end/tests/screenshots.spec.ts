import { test, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { showMeThrough } from '../support';

// The README's screenshots, taken from the built page by `bash scripts/screenshots.sh`
// (which sets SCREENSHOTS=1; the normal test run skips this file). Each shot sets up
// its state by typing into the console, like a learner would.

const base = '/course/playground/';
const out = resolve(__dirname, '../../docs/screenshots');

test.skip(!process.env.SCREENSHOTS, 'README screenshots: run scripts/screenshots.sh');

async function open(page: Page, theme: 'dark' | 'light'): Promise<void> {
  await page.addInitScript((t) => {
    localStorage.setItem('redis-playground:theme', t);
    Math.random = () => 0.25; // the same SRANDMEMBER picks on every run
  }, theme);
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
}

async function runLine(page: Page, line: string): Promise<void> {
  const before = await page.locator('.entries .entry').count();
  await page.keyboard.insertText(line);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.locator('.entries .entry').count()).toBeGreaterThanOrEqual(before + 2);
}

/** The seed 000 PTO tutorial's first steps: requests, a managers group, one stuck. */
async function ptoState(page: Page): Promise<void> {
  await runLine(page, 'SADD dates{ot11} "2022-12-24" "2022-12-25" "2022-12-26" "2022-12-27"');
  await runLine(page, 'SADD ids{ot11} 1 2 3 4 5 6 7 8 9 10');
  await runLine(page, 'XGROUP CREATE X:requests{ot11} managers 0 MKSTREAM');
  const producer =
    'EVAL "local id = redis.call(\'SRANDMEMBER\',\'ids\'..KEYS[1]) local date = redis.call(\'SRANDMEMBER\',\'dates\'..KEYS[1]) redis.call(\'XADD\',\'X:requests\'..KEYS[1],\'*\',\'empid\',id,\'startDate\',date, \'numDays\',(id%5))" 1 {ot11}';
  for (let i = 0; i < 8; i++) await runLine(page, producer);
  await runLine(page, 'XREADGROUP GROUP managers manager1 COUNT 2 STREAMS X:requests{ot11} >');
  await runLine(page, 'XREADGROUP GROUP managers manager2 COUNT 1 STREAMS X:requests{ot11} >');
  await runLine(page, 'XPENDING X:requests{ot11} managers - + 10');
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  await page.waitForTimeout(1800); // highlights fade
  await page.screenshot({ path: join(out, name) });
}

test.describe('README screenshots', () => {
  test.use({ viewport: { width: 1280, height: 720 } });

  test('console and keys', async ({ page }) => {
    await open(page, 'dark');
    await runLine(page, 'SET greeting "Hello, Redis"');
    await runLine(page, 'HSET user:1 name Ada lang en');
    await runLine(page, 'RPUSH queue job:1 job:2 job:3');
    await runLine(page, 'ZADD leaderboard 120 ada 95 grace 80 linus');
    await runLine(page, 'EXPIRE greeting 300');
    await runLine(page, 'ZRANGE leaderboard 0 -1 WITHSCORES');
    await runLine(page, 'HSET user:2 name Grace lang en');
    await runLine(page, 'SET user:1:visits 42');
    await shot(page, 'console-and-keys.png');
    // The sorted set's view: members by score with a score bar.
    await page.locator('.key-list .key', { has: page.locator('.name', { hasText: /^leaderboard$/ }) }).click();
    await expect(page.locator('.vv-key')).toHaveText('leaderboard');
    await shot(page, 'zset-view.png');
  });

  test('clients and activity', async ({ page }) => {
    await open(page, 'dark');
    await page.locator('.tab-new').first().click();
    // Blocked: no reply until something is added to the stream.
    await page.keyboard.insertText('XREAD BLOCK 0 STREAMS orders $');
    await page.keyboard.press('Enter');
    await expect(page.locator('.wait-status')).toBeVisible();
    await page.locator('.tab-name').first().click();
    await page.locator('input.console-input').focus();
    await runLine(page, 'SUBSCRIBE news');
    await page.locator('.tab-new').first().click();
    await runLine(page, 'PUBLISH news "order 42 shipped"');
    await runLine(page, 'SET greeting hello');
    await page.locator('.pane-tabs').getByRole('tab', { name: /Clients/ }).click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(out, 'clients-view.png') });
    await page.locator('.pane-tabs').getByRole('tab', { name: /Activity/ }).click();
    await page.locator('.ac-row', { hasText: 'PUBLISH' }).click();
    await shot(page, 'activity-view.png');
  });

  test('programs in virtual time', async ({ page }) => {
    await open(page, 'dark');
    for (const file of ['producer.lua', 'worker.lua']) {
      await page.getByRole('button', { name: '+ program' }).click();
      await page.getByRole('menuitem', { name: new RegExp(`^${file.replace('.', '\\.')}`) }).click();
      await page.locator('.program').getByRole('button', { name: /Run/ }).click();
      await expect(page.locator('.program .program-log')).toContainText(`started ${file}`);
    }
    await page.getByRole('group', { name: 'Virtual time' }).getByRole('button', { name: 'Advance 1 minute' }).click();
    await expect(page.locator('.program .pl-line.out').first()).toBeVisible();
    await shot(page, 'programs.png');
  });

  test('the Jobs tab during the job-queue exercise', async ({ page }) => {
    await open(page, 'dark');
    await page.goto(base + '?exercise=job-queue');
    await showMeThrough(page, 'Task 9');
    await page.getByRole('tab', { name: /Jobs/ }).click();
    const pane = page.getByRole('region', { name: 'Job queue' });
    await pane.getByRole('combobox', { name: 'Job type' }).selectOption('push_notification_code_2');
    await pane.locator('.jobs-state[data-state="failed"]').click();
    await pane.locator('.job summary').first().click();
    await shot(page, 'jobs-view.png');
  });

  test('stream view, dark and light', async ({ page }) => {
    await open(page, 'dark');
    await ptoState(page);
    await page.locator('.layout-flat').click();
    await page.locator('.key', { hasText: 'X:requests{ot11}' }).first().click();
    await expect(page.locator('.stream-view .sv-key')).toHaveText('X:requests{ot11}');
    await page.locator('.sv-ewin .sv-erow', { hasText: 'managers → manager2' }).click();
    await expect(page.locator('.sv-detail')).toBeVisible();
    await shot(page, 'stream-view.png');
    await page.locator('.theme-toggle').click();
    await shot(page, 'stream-view-light.png');
  });
});

test.describe('embedded in an 800 x 500 iframe', () => {
  test.use({ viewport: { width: 800, height: 500 } });

  test('stream view at 800 px', async ({ page }) => {
    await open(page, 'light');
    await ptoState(page);
    await page.locator('.layout-flat').click();
    await page.locator('.key', { hasText: 'X:requests{ot11}' }).first().click();
    await expect(page.locator('.stream-view .sv-key')).toHaveText('X:requests{ot11}');
    await shot(page, 'iframe-800.png');
  });
});
