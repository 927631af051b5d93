import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

// Export and import: the dataset downloaded as a redis-cli --pipe script and as an RDB
// file, each imported into a fresh profile; a hand-written script with an error reports
// its line; a damaged RDB file is refused.

const base = '/course/playground/';

async function run(page: Page, line: string): Promise<string> {
  const before = await page.locator('.entries .entry').count();
  await page.keyboard.insertText(line);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.locator('.entries .entry').count()).toBeGreaterThanOrEqual(before + 2);
  return ((await page.locator('.entries .entry').last().textContent()) ?? '').trim();
}

test('the dataset exports as a script and imports in a fresh profile', async ({ page, browser }) => {
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  await run(page, 'SET greeting "hello world"');
  await run(page, 'EXPIRE greeting 600');
  await run(page, 'XADD orders 1-1 product laptop');
  await run(page, 'XGROUP CREATE orders workers 0');
  await run(page, 'SELECT 1');
  await run(page, 'RPUSH queue a b');
  await page.getByRole('button', { name: 'Data' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export or import data' });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Download playground.resp' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('playground.resp');
  await expect(dialog.getByRole('status')).toHaveText('playground.resp: 3 key(s).');
  const bytes = readFileSync(await download.path());
  expect(bytes.toString('latin1')).toContain('RESTORE');

  const context = await browser.newContext();
  const other = await context.newPage();
  await other.goto(base);
  await expect(other.locator('input.console-input')).toBeFocused();
  await other.getByRole('button', { name: 'Data' }).click();
  const otherDialog = other.getByRole('dialog', { name: 'Export or import data' });
  await otherDialog.getByLabel('File to import').setInputFiles({ name: 'playground.resp', mimeType: 'application/octet-stream', buffer: bytes });
  await expect(otherDialog.getByRole('status')).toHaveText('playground.resp: 6 command(s) run.');
  await otherDialog.getByRole('button', { name: 'Close' }).click();
  expect(await run(other, 'GET greeting')).toBe('"hello world"');
  expect(Number((await run(other, 'TTL greeting')).replace(/\D/g, ''))).toBeGreaterThan(500);
  expect(await run(other, 'XINFO GROUPS orders')).toContain('workers');
  await run(other, 'SELECT 1');
  expect(await run(other, 'LRANGE queue 0 -1')).toContain('"b"');
  await context.close();
});

test('an imported script reports its errors with their lines', async ({ page }) => {
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  await page.getByRole('button', { name: 'Data' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export or import data' });
  const script = '# seed data\nSET a 1\nINCR a b\nHSET user:1 name "Ada Lovelace"\n';
  await dialog.getByLabel('File to import').setInputFiles({ name: 'seed.redis', mimeType: 'text/plain', buffer: Buffer.from(script) });
  await expect(dialog.getByRole('status')).toHaveText(
    "seed.redis: 3 command(s) run, 1 error(s) (line 3: ERR wrong number of arguments for 'incr' command).",
  );
  await dialog.getByLabel('File to import').setInputFiles({ name: 'bad.redis', mimeType: 'text/plain', buffer: Buffer.from('SET "a 1\n') });
  await expect(dialog.getByRole('status')).toHaveText('bad.redis was not imported: line 1: unbalanced quotes.');
  await dialog.getByRole('button', { name: 'Close' }).click();
  expect(await run(page, 'HGET user:1 name')).toBe('"Ada Lovelace"');
});

test('the dataset exports as an RDB file and imports in a fresh profile', async ({ page, browser }) => {
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  await run(page, 'SET greeting "hello rdb"');
  await run(page, 'EXPIRE greeting 600');
  await run(page, 'ZADD board 10 ada 20 bob');
  await run(page, 'SELECT 2');
  await run(page, 'HSET user:1 name Ada');
  await page.getByRole('button', { name: 'Data' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export or import data' });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Download playground.rdb' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('playground.rdb');
  await expect(dialog.getByRole('status')).toHaveText('playground.rdb: 3 key(s).');
  const bytes = readFileSync(await download.path());
  expect(bytes.subarray(0, 9).toString('latin1')).toBe('REDIS0010');

  const context = await browser.newContext();
  const other = await context.newPage();
  await other.goto(base);
  await expect(other.locator('input.console-input')).toBeFocused();
  await run(other, 'SET greeting old');
  await run(other, 'SET mine stays');
  await other.getByRole('button', { name: 'Data' }).click();
  const otherDialog = other.getByRole('dialog', { name: 'Export or import data' });
  const damaged = Buffer.from(bytes);
  damaged[damaged.length - 3] ^= 0xff;
  await otherDialog.getByLabel('File to import').setInputFiles({ name: 'broken.rdb', mimeType: 'application/octet-stream', buffer: damaged });
  await expect(otherDialog.getByRole('status')).toHaveText('broken.rdb was not imported: the file is damaged: its checksum is wrong.');
  await otherDialog.getByLabel('File to import').setInputFiles({ name: 'playground.rdb', mimeType: 'application/octet-stream', buffer: bytes });
  await expect(otherDialog.getByRole('status')).toHaveText('playground.rdb (RDB): 3 key(s) restored.');
  await otherDialog.getByRole('button', { name: 'Close' }).click();
  expect(await run(other, 'GET greeting')).toBe('"hello rdb"');
  expect(Number((await run(other, 'TTL greeting')).replace(/\D/g, ''))).toBeGreaterThan(500);
  expect(await run(other, 'GET mine')).toBe('"stays"');
  expect(await run(other, 'ZSCORE board bob')).toBe('"20"');
  await run(other, 'SELECT 2');
  expect(await run(other, 'HGET user:1 name')).toBe('"Ada"');
  await context.close();
});
