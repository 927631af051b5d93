import { test, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

// The key browser as a learner meets it: keys of every type grouped into a tree by ':',
// filtered by type, each opened in its own view; and 10k keys that keep the DOM small.

const base = '/course/playground/';
const shots = join(__dirname, '../screenshots');

/** Opens the page and waits until the console accepts typing; fails on page errors. */
async function open(page: Page): Promise<void> {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  expect(problems).toEqual([]);
}

/** Types a line into the (emptied) console and waits for its reply. */
async function run(page: Page, line: string): Promise<void> {
  const entries = page.locator('.entries .entry');
  const before = await entries.count();
  await page.locator('input.console-input').fill('');
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  await expect.poll(() => entries.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
}

const tree = (page: Page) => page.locator('.key-list[role=tree]');
const names = (page: Page) => tree(page).locator('.key .name');
const row = (page: Page, name: string) =>
  tree(page).locator('.key', { has: page.locator('.name', { hasText: new RegExp(`^${name}$`) }) });

async function back(page: Page): Promise<void> {
  await page.locator('.vv-back, .sv-back').click();
  await expect(tree(page)).toBeVisible();
}

test('a learner groups keys in the tree, filters by type and opens each type', async ({ page }) => {
  await open(page);
  for (const line of [
    'SET user:1:name ann',
    'SET user:2:name bob',
    'HSET user:1:profile city paris lang fr',
    'RPUSH queue:jobs email sms push',
    'SADD tags redis db',
    'ZADD board 10 ann 30 bob 20 cy',
    'XADD events * kind login',
    'SET greeting hello EX 300',
  ]) {
    await run(page, line);
  }
  await expect(names(page)).toHaveText(['board', 'events', 'greeting', 'queue', 'tags', 'user']);
  await expect(row(page, 'user').locator('.folder-count')).toHaveText('3');
  await expect(row(page, 'greeting').locator('.ttl')).toHaveText(/^[45]m \d\ds$/);

  // Expand with the mouse, then with the keyboard (the tree is one tab stop).
  await row(page, 'user').click();
  await expect(row(page, 'user')).toHaveAttribute('aria-expanded', 'true');
  await expect(names(page)).toHaveText(['board', 'events', 'greeting', 'queue', 'tags', 'user', '1', '2']);
  await tree(page).focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await expect(names(page)).toHaveText(['board', 'events', 'greeting', 'queue', 'tags', 'user', '1', 'name', 'profile', '2']);
  await expect(row(page, '1')).toHaveAttribute('aria-level', '2');
  mkdirSync(shots, { recursive: true });
  await page.locator('.keys').screenshot({ path: join(shots, 'keyspace-tree.png') });

  // Filter by type: only hashes (and the folders that hold them).
  await page.locator('select.type-filter').selectOption('hash');
  await expect(names(page)).toHaveText(['user', '1', 'profile']);
  await expect(page.locator('.keys .count')).toHaveText('1 of 8 keys');
  await page.locator('select.type-filter').selectOption('');

  // Each type's view.
  await row(page, 'profile').click();
  await expect(page.locator('.value-view .badge')).toHaveText('hash');
  await expect(page.locator('.vv-hash tbody .vv-field')).toHaveText(['city', 'lang']);
  await expect(page.locator('.vv-hash tbody .vv-val')).toHaveText(['paris', 'fr']);
  await page.locator('.vv-cmd', { hasText: 'HGETALL' }).click();
  await expect(page.locator('input.console-input')).toHaveValue('HGETALL user:1:profile');
  await back(page);

  await row(page, 'queue').click();
  await row(page, 'jobs').click();
  await expect(page.locator('.vv-list tbody .vv-val')).toHaveText(['email', 'sms', 'push']);
  await expect(page.locator('.vv-list tbody .vv-tag')).toHaveText(['head', 'tail']);
  await page.locator('.vv-list tbody tr').nth(1).locator('.vv-act').click();
  await expect(page.locator('input.console-input')).toHaveValue('LINDEX queue:jobs 1');
  await back(page);

  await row(page, 'tags').click();
  await expect(page.locator('.vv-set tbody .vv-val')).toHaveCount(2);
  await expect(page.locator('.vv-set tbody')).toContainText('redis');
  await back(page);

  await row(page, 'board').click();
  await expect(page.locator('.vv-zset tbody .vv-val')).toHaveText(['ann', 'cy', 'bob']);
  await expect(page.locator('.vv-zset tbody .vv-score')).toHaveText(['10', '20', '30']);
  // The view follows commands typed meanwhile.
  await run(page, 'ZINCRBY board 25 ann');
  await expect(page.locator('.vv-zset tbody .vv-val')).toHaveText(['cy', 'bob', 'ann']);
  await page.locator('.value-view').screenshot({ path: join(shots, 'zset-view.png') });
  await back(page);

  await row(page, 'greeting').click();
  await expect(page.locator('.vv-string')).toHaveText('"hello"');
  await expect(page.locator('.vv-ttl')).toHaveText(/^[45]m \d\ds$/);
  await run(page, 'DEL greeting');
  await expect(page.locator('.vv-gone')).toHaveText('This key no longer exists.');
  await back(page);

  await row(page, 'events').click();
  await expect(page.locator('.stream-view .sv-key')).toHaveText('events');
  await back(page);

  // From the keyboard: Home, Enter opens the first key; the focus lands in its view.
  await tree(page).focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('Enter');
  await expect(page.locator('.value-view .vv-key')).toHaveText('board');
  await expect(page.locator('.vv-back')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(tree(page)).toBeVisible();
});

test('10k keys keep the DOM small and scroll to the last keys', async ({ page }) => {
  await open(page);
  await run(page, `EVAL "for i=1,10000 do redis.call('SET','user:'..i..':name','x') end" 0`);
  await expect(page.locator('.keys .count')).toHaveText('10000 keys', { timeout: 20_000 });
  const domSize = () => page.evaluate(() => document.querySelectorAll('.keys *').length);
  // Keys sort as bytes (user:9: after user:9999:): the expected order, computed.
  const keys = Array.from({ length: 10000 }, (_, i) => `user:${i + 1}:name`).sort();

  await row(page, 'user').click();
  await expect(row(page, 'user').locator('.folder-count')).toHaveText('10000');
  expect(await domSize()).toBeLessThan(500);
  const scroller = page.locator('.keys .key-scroll');
  await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await expect(names(page).last()).toHaveText(keys[keys.length - 1].split(':')[1]);
  expect(await domSize()).toBeLessThan(500);

  // The flat list: every key a row, the last one reachable by scrolling.
  await page.locator('.layout-flat').click();
  await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await expect(names(page).last()).toHaveText(keys[keys.length - 1]);
  expect(await domSize()).toBeLessThan(500);
  // A change among 10k keys shows at once.
  await run(page, `DEL ${keys[keys.length - 1]}`);
  await expect(names(page).last()).toHaveText(keys[keys.length - 2]);
  await expect(page.locator('.keys .count')).toHaveText('9999 keys');
  console.log(`DOM elements in the key pane with 10k keys: ${await domSize()}`);
  // Stacked under the console on a narrow screen, the list still renders only its window.
  await page.setViewportSize({ width: 700, height: 900 });
  await scroller.evaluate((el) => { el.scrollTop = 0; });
  await expect(names(page).first()).toHaveText(keys[0]);
  expect(await domSize()).toBeLessThan(500);
  await page.setViewportSize({ width: 1400, height: 900 });

  // What a command costs the page with 10k keys shown: from Enter to the key count
  // redrawn (engine, one event applied to the model, the visible rows re-listed).
  const timeCommand = (line: string) =>
    page.evaluate(
      (line) =>
        new Promise<number>((resolve) => {
          const count = document.querySelector('.keys .count');
          const input = document.querySelector<HTMLInputElement>('input.console-input');
          if (!count || !input) return resolve(-1);
          const before = count.textContent;
          let t0 = 0;
          const obs = new MutationObserver(() => {
            if (count.textContent !== before) {
              obs.disconnect();
              resolve(performance.now() - t0);
            }
          });
          obs.observe(count, { subtree: true, childList: true, characterData: true });
          input.value = line;
          input.dispatchEvent(new Event('input', { bubbles: true }));
          t0 = performance.now();
          input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
        }),
      line,
    );
  const flatMs = await timeCommand('DEL user:5000:name');
  await page.locator('.layout-tree').click();
  await row(page, 'user').click();
  await expect(names(page)).toHaveText(['user']);
  const treeMs = await timeCommand('DEL user:5001:name');
  console.log(`one DEL among 10k keys, Enter to redraw: flat list ${flatMs.toFixed(1)} ms, collapsed tree ${treeMs.toFixed(1)} ms`);
  expect(flatMs).toBeGreaterThan(0);
  expect(treeMs).toBeGreaterThan(0);
});
