import { test, expect, type Page } from '@playwright/test';
import { forgetSaved, showMeThrough } from '../support';

// The Jobs tab: a Kue queue as Kue's UI shows it, live. First with Kue's keys typed in the
// console (the commands Kue sends, shortened), then with the job-queue exercise's real
// programs: the processor's blacklisted numbers fail with Kue's error.

const base = '/course/playground/';

async function fresh(page: Page, query = ''): Promise<void> {
  await page.goto(base);
  await forgetSaved(page);
  await page.goto(base + query);
  await expect(page.locator('input.console-input')).toBeFocused();
}

async function run(page: Page, line: string): Promise<void> {
  const before = await page.locator('.entries .entry').count();
  await page.locator('input.console-input').fill(line);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.locator('.entries .entry').count()).toBeGreaterThanOrEqual(before + 2);
}

test('Kue keys typed in the console show as jobs, and the tab follows changes', async ({ page }) => {
  await fresh(page);
  await page.getByRole('tab', { name: /Jobs/ }).click();
  const pane = page.getByRole('region', { name: 'Job queue' });
  await expect(pane.locator('.jobs-empty')).toContainText('No job queue yet');
  for (const line of [
    'INCR q:ids',
    'SADD q:job:types email',
    `HSET q:job:1 type email data '{"to":"ada@example.com"}' state complete progress 100 attempts 1 max_attempts 1 priority 0`,
    'ZADD q:jobs:complete 0 01|1',
    'INCR q:ids',
    `HSET q:job:2 type email data '{"to":"bob"}' state failed progress 40 attempts 1 max_attempts 1 priority -10 error "Error: mailbox full\\n    at worker.lua:3"`,
    'ZADD q:jobs:failed -10 01|2',
    'RPUSH q:job:2:log "tried once"',
    'INCR q:ids',
    `HSET q:job:3 type email data '{"to":"cy"}' state inactive progress 0 attempts 0 max_attempts 3 priority 0`,
    'ZADD q:jobs:inactive 0 01|3',
  ]) {
    await run(page, line);
  }
  const count = (state: string) => pane.locator(`.jobs-state[data-state="${state}"] .jobs-state-count`);
  await expect(count('inactive')).toHaveText('1');
  await expect(count('failed')).toHaveText('1');
  await expect(count('complete')).toHaveText('1');
  await expect(pane.locator('.job')).toHaveCount(1);
  await expect(pane.locator('.job-id')).toHaveText('#3 email');
  await expect(pane.locator('.job-attempts')).toHaveText('attempts 0/3');

  await pane.locator('.jobs-state[data-state="failed"]').click();
  const failed = pane.locator('.job[data-job="2"]');
  await expect(failed.locator('.job-error')).toHaveText('Error: mailbox full');
  await expect(failed.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '40');
  await expect(failed.locator('.job-priority')).toHaveText('high');
  await failed.locator('summary').click();
  await expect(failed.locator('.job-log')).toContainText('tried once');
  await expect(failed.locator('.job-stack')).toContainText('at worker.lua:3');

  // Live: progress moves, a job changes state.
  await run(page, 'HSET q:job:2 progress 75');
  await expect(failed.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '75');
  await run(page, 'ZREM q:jobs:inactive 01|3');
  await run(page, 'ZADD q:jobs:failed 0 01|3');
  await expect(count('inactive')).toHaveText('0');
  await expect(count('failed')).toHaveText('2');
  await expect(pane.locator('.job')).toHaveCount(2);
  await expect(pane.locator('.job').first()).toHaveAttribute('data-job', '3');
  // Hidden, the tab still says how many jobs failed.
  await page.getByRole('tab', { name: 'Keys' }).click();
  await expect(page.getByRole('tab', { name: /Jobs/ })).toContainText('2 failed');
  await run(page, 'ZREM q:jobs:failed 01|3');
  await expect(page.getByRole('tab', { name: /Jobs/ })).toContainText('1 failed');
});

test('the job-queue exercise fills the Jobs tab with Kue progress and failures', async ({ page }) => {
  await fresh(page, '?exercise=job-queue');
  // Through task 9 (the processor with the blacklist and two workers).
  await showMeThrough(page, 'Task 9');
  await page.getByRole('tab', { name: /Jobs/ }).click();
  const pane = page.getByRole('region', { name: 'Job queue' });
  await pane.getByRole('combobox', { name: 'Job type' }).selectOption('push_notification_code_2');
  await expect(pane.locator('.jobs-state[data-state="failed"] .jobs-state-count')).toHaveText('2');
  await expect(pane.locator('.jobs-state[data-state="complete"] .jobs-state-count')).toHaveText('9');
  await pane.locator('.jobs-state[data-state="failed"]').click();
  await expect(pane.locator('.job-error').first()).toContainText('is blacklisted');
  await expect(pane.locator('.job .job-error')).toHaveCount(2);
  await pane.locator('.jobs-state[data-state="complete"]').click();
  await expect(pane.locator('.job').first().getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  await page.screenshot({ path: 'end2end/test-results/jobs-tab.png' });
});
