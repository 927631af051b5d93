import { test, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

// HTTP in the page, as a learner meets it: the orders API template is started as a
// program, then curl lines typed in the console pane's HTTP tab get JSON answers.

const base = '/course/playground/';
const repo = resolve(__dirname, '../..');

async function open(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  return problems;
}

test('the orders API template answers curl lines in the HTTP tab', async ({ page }) => {
  const problems = await open(page);

  await page.getByRole('button', { name: '+ program' }).click();
  await page.getByRole('menuitem', { name: /^orders-api\.lua/ }).click();
  const panel = page.locator('.program');
  await panel.getByRole('button', { name: /Run/ }).click();
  await expect(panel.locator('.program-state')).toHaveText('listening on port 3000');
  await expect(panel.locator('.program-log')).toContainText('Server running on port 3000');

  const tab = page.getByRole('tab', { name: /HTTP/ });
  await tab.click();
  await expect(tab).toHaveAttribute('aria-selected', 'true');
  const line = page.getByRole('textbox', { name: 'curl command line' });
  await expect(line).toBeFocused();

  await line.fill(
    `curl -X POST http://localhost:3000/orders -H "Content-Type: application/json" -d '{"orderId": 1001, "product": "Laptop", "quantity": 2, "userId": 42}'`,
  );
  await line.press('Enter');
  const exchanges = page.locator('.exchange');
  await expect(exchanges).toHaveCount(1);
  await expect(exchanges.nth(0).locator('.x-status')).toHaveText('HTTP/1.1 201 Created');
  await expect(exchanges.nth(0).locator('.x-body')).toContainText('"success": true');
  await expect(exchanges.nth(0).locator('.x-body')).toContainText('"messageId": "');

  await line.fill('curl -i "http://localhost:3000/orders/history?count=5"');
  await line.press('Enter');
  await expect(exchanges).toHaveCount(2);
  const history = exchanges.nth(1);
  await expect(history.locator('.x-status')).toHaveText('HTTP/1.1 200 OK');
  await expect(history.locator('.x-headers')).toContainText('Content-Type: application/json; charset=utf-8');
  await expect(history.locator('.x-body')).toContainText('"count": 1');
  await expect(history.locator('.x-body')).toContainText('"product": "Laptop"');

  // Up walks the history; a port nobody listens on is refused as curl says it.
  await line.press('ArrowUp');
  await expect(line).toHaveValue('curl -i "http://localhost:3000/orders/history?count=5"');
  await line.fill('curl localhost:3001/');
  await line.press('Enter');
  await expect(exchanges.nth(2).locator('.x-error')).toHaveText(
    'curl: (7) Failed to connect to localhost port 3001: Connection refused',
  );

  const dir = join(repo, 'end2end', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, 'http-tab.png') });

  // The stream the API wrote is the page's: the console sees it.
  await page.getByRole('tab', { name: /redis-cli 1/ }).click();
  await page.locator('input.console-input').fill('XLEN orders:stream');
  await page.locator('input.console-input').press('Enter');
  await expect(page.locator('.entry.reply').last()).toHaveText('(integer) 1');
  expect(problems).toEqual([]);
});
