import { test, expect, type Page } from '@playwright/test';
import { join, resolve } from 'node:path';

// The Clients and Activity tabs of the right pane, as a learner uses them with two
// console tabs: a blocked reader released by another tab's XADD, SUBSCRIBE/PUBLISH, and
// the timeline of every command with what each changed.

const base = '/course/playground/';
const repo = resolve(__dirname, '../..');

async function open(page: Page): Promise<void> {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  expect(problems).toEqual([]);
}

/** Types a line into the active console and presses Enter. */
async function type(page: Page, line: string): Promise<void> {
  await page.locator('input.console-input').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/** Types a line and waits for its reply to be printed. */
async function run(page: Page, line: string): Promise<void> {
  await type(page, line);
  // The screen draws its last 200 entries: wait for this line's echo and a reply after it.
  await expect
    .poll(() =>
      page.locator('.entries .entry').evaluateAll(
        (els, line) => els.length >= 2 && (els[els.length - 2].textContent ?? '').endsWith(line),
        line,
      ),
    )
    .toBe(true);
}

const paneTab = (page: Page, name: string) => page.locator('.pane-tabs').getByRole('tab', { name });
const clientRow = (page: Page, label: string) =>
  page.locator('.cl-table tbody tr').filter({ has: page.locator('.cl-who', { hasText: label }) });

test('the Clients tab shows a blocked reader, its release, and a PUBLISH reaching its subscriber', async ({ page }) => {
  await open(page);
  // The tab bar is a tablist: arrows move between tabs.
  await expect(paneTab(page, 'Keys')).toHaveAttribute('aria-selected', 'true');
  await paneTab(page, 'Keys').focus();
  await page.keyboard.press('ArrowRight');
  await expect(paneTab(page, 'Clients')).toHaveAttribute('aria-selected', 'true');
  await expect(paneTab(page, 'Clients')).toBeFocused();
  await expect(page.locator('#pane-panel-clients')).toBeVisible();
  await expect(page.locator('#pane-panel-keys')).toBeHidden();

  await page.getByRole('button', { name: 'Open another console' }).click();
  await type(page, 'XREAD BLOCK 0 STREAMS s $');
  const reader = clientRow(page, 'redis-cli 2');
  await expect(reader.locator('.cl-blocked')).toContainText('XREAD BLOCK 0 STREAMS s $');
  await expect(reader.locator('.cl-blocked')).toContainText('on s · forever');
  await expect(reader).toHaveClass(/is-blocked/);
  await expect(paneTab(page, 'Clients')).toContainText('1 blocked');

  await page.locator('.console .tab-name', { hasText: 'redis-cli 1' }).click();
  await run(page, 'XADD s * item pen');
  await expect(reader.locator('.cl-idle')).toHaveText('idle');
  await expect(reader.locator('.cl-last')).toHaveText('XREAD');
  await expect(paneTab(page, 'Clients')).not.toContainText('blocked');

  // Pub/sub: tab 2 subscribes, tab 1 publishes.
  await page.locator('.console .tab-name', { hasText: 'redis-cli 2' }).click();
  await type(page, 'SUBSCRIBE news');
  await expect(reader.locator('.cl-sub')).toContainText('channels news');
  await expect(page.locator('.ps-table')).toContainText('news');
  await expect(page.locator('.ps-table .ps-subs')).toHaveText('redis-cli 2');
  // A third tab waits on a list.
  await page.getByRole('button', { name: 'Open another console' }).click();
  await type(page, 'BLPOP queue 0');
  await expect(clientRow(page, 'redis-cli 3').locator('.cl-blocked')).toContainText('BLPOP queue 0');
  await expect(clientRow(page, 'redis-cli 3').locator('.cl-blocked')).toContainText('on queue · forever');
  await page.locator('.console .tab-name', { hasText: 'redis-cli 1' }).click();
  await run(page, 'PUBLISH news hello');
  await expect(page.locator('.flow-latest')).toHaveText('PUBLISH news hello → 1 receiver: redis-cli 2');
  await expect(page.locator('.flow-latest')).toHaveAttribute('role', 'status');
  await expect(reader).toHaveClass(/cl-flash/);
  await page.screenshot({ path: join(repo, 'end2end', 'screenshots', 'clients-view.png') });
});

test('the Activity tab lists every command with its tab, and a click shows what it changed', async ({ page }) => {
  await open(page);
  await page.getByRole('button', { name: 'Open another console' }).click();
  await type(page, 'XREAD BLOCK 0 STREAMS s $');
  await page.locator('.console .tab-name', { hasText: 'redis-cli 1' }).click();
  await run(page, 'XADD s 1-1 item pen');
  await page.locator('.console .tab-name', { hasText: 'redis-cli 2' }).click();
  await type(page, 'SUBSCRIBE news');
  await page.locator('.console .tab-name', { hasText: 'redis-cli 1' }).click();
  await run(page, 'PUBLISH news hello');
  await run(page, 'EVAL "return redis.call(\'set\', KEYS[1], ARGV[1])" 1 greeting hi');

  await paneTab(page, 'Activity').click();
  const rows = page.locator('.ac-row');
  const lines = async () =>
    rows.evaluateAll((els) =>
      els
        .map((e) => ({ top: parseFloat((e as HTMLElement).style.top), who: e.querySelector('.ac-who')?.textContent, line: e.querySelector('.ac-line')?.textContent }))
        .sort((a, b) => a.top - b.top)
        .map((r) => `${r.who}: ${r.line}`),
    );
  await expect
    .poll(lines)
    .toEqual([
      'redis-cli 2: XREAD BLOCK 0 STREAMS s $',
      'redis-cli 1: XADD s 1-1 item pen',
      'redis-cli 2: SUBSCRIBE news',
      'redis-cli 1: PUBLISH news hello',
      'redis-cli 1: EVAL "return redis.call(\'set\', KEYS[1], ARGV[1])" 1 greeting hi',
      'lua: SET greeting hi',
    ]);

  // The filter narrows by command or key.
  await page.getByLabel('Filter the timeline by command name or key').fill('greeting');
  await expect.poll(async () => (await lines()).length).toBe(2);
  await page.getByLabel('Filter the timeline by command name or key').fill('');
  await expect.poll(async () => (await lines()).length).toBe(6);

  // A click shows the keys the command changed.
  await rows.filter({ hasText: 'XADD' }).click();
  await expect(rows.filter({ hasText: 'XADD' })).toHaveAttribute('aria-pressed', 'true');
  const detail = page.locator('.ac-detail');
  await expect(detail.locator('.ac-key')).toHaveText(['s']);
  await expect(detail.locator('.ac-events')).toHaveText('db 0 · new, xadd');
  await rows.filter({ hasText: 'EVAL' }).click();
  await expect(detail).toContainText('with the 1 command it ran');
  await expect(detail.locator('.ac-key')).toHaveText(['greeting']);
  await page.screenshot({ path: join(repo, 'end2end', 'screenshots', 'activity-view.png') });

  // ...and opens one in the Keys tab.
  await detail.locator('.ac-key', { hasText: 'greeting' }).click();
  await expect(paneTab(page, 'Keys')).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#pane-panel-keys .vv-key')).toHaveText('greeting');
});

test('the timeline stays virtual and follows the newest unless scrolled up', async ({ page }) => {
  await open(page);
  await paneTab(page, 'Activity').click();
  // 300 commands in one paste: the DOM holds only the rows in view.
  await page.locator('input.console-input').focus();
  await page.evaluate(() => {
    const input = document.querySelector('input.console-input') as HTMLInputElement;
    const data = new DataTransfer();
    data.setData('text/plain', Array.from({ length: 300 }, (_, i) => `SET k${i} ${i}`).join('\n') + '\n');
    input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expect(page.locator('.ac-count')).toHaveText('300 commands');
  const rendered = await page.locator('.ac-row').count();
  expect(rendered).toBeGreaterThan(5);
  expect(rendered).toBeLessThan(80);
  // Following: the newest is in view.
  await expect(page.locator('.ac-row', { hasText: 'SET k299 299' })).toBeInViewport();
  // Scrolled up: new commands are counted, not followed.
  await page.locator('.ac-scroll').evaluate((el) => (el.scrollTop = 0));
  await expect(page.locator('.ac-row', { hasText: 'SET k0 0' })).toBeInViewport();
  await run(page, 'SET late 1');
  await expect(page.locator('.ac-new')).toHaveText('1 new ↓');
  await page.locator('.ac-new').click();
  await expect(page.locator('.ac-row', { hasText: 'SET late 1' })).toBeInViewport();
  await expect(page.locator('.ac-new')).toHaveCount(0);
});
