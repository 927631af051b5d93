import { test, expect, type Page, type Browser } from '@playwright/test';
import { forgetSaved } from '../support';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';

// Share links: a state (keys, program tabs, exercise step) packed into the URL
// fragment, opened in a fresh browser profile as a preview that never overwrites the
// learner's own saved work; hostile or broken links refused with a message and every
// value shown as text. The size of a typical exercise's link goes to bench/page-share.txt.

const base = '/course/playground/';
const repo = resolve(__dirname, '../..');

async function run(page: Page, line: string): Promise<string> {
  const before = await page.locator('.entries .entry').count();
  await page.keyboard.insertText(line);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.locator('.entries .entry').count()).toBeGreaterThanOrEqual(before + 2);
  return ((await page.locator('.entries .entry').last().textContent()) ?? '').trim();
}

async function ready(page: Page): Promise<void> {
  await expect(page.locator('input.console-input')).toBeFocused();
}

async function makeLink(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Share' }).click();
  const link = page.getByRole('textbox', { name: 'Share link' });
  await expect(link).toBeVisible();
  const url = await link.inputValue();
  await page.getByRole('dialog', { name: 'Share this playground' }).getByRole('button', { name: 'Close' }).click();
  return url;
}

/** A page in a fresh profile (no saved state), failing on any alert a hostile value could raise. */
async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  return page;
}

test('a shared link reproduces keys, TTLs and hostile names as text in a fresh profile', async ({ page, browser }) => {
  await page.goto(base);
  await ready(page);
  await run(page, 'SET greeting hello');
  await run(page, 'EXPIRE greeting 500');
  await run(page, 'XADD orders 1-1 product laptop');
  await run(page, 'XGROUP CREATE orders workers 0');
  await run(page, 'HSET "<script>alert(1)</script>" "<img src=x onerror=alert(2)>" "<b>bold</b>"');
  const url = await makeLink(page);
  expect(url).toContain('#share=');

  const other = await freshPage(browser);
  await other.goto(url);
  await ready(other);
  await expect(other.locator('.save-notice')).toContainText('You are looking at a shared playground (3 key(s))');
  expect(await run(other, 'GET greeting')).toBe('"hello"');
  expect(Number((await run(other, 'TTL greeting')).replace(/\D/g, ''))).toBeGreaterThan(400);
  expect(await run(other, 'XINFO GROUPS orders')).toContain('workers');
  // The hostile key and values are text: in the key browser and the console.
  await expect(other.getByRole('treeitem', { name: /<script>alert\(1\)<\/script>/ })).toBeVisible();
  expect(await other.locator('script:text("alert(1)")').count()).toBe(0);
  expect(await other.locator('img[src="x"]').count()).toBe(0);
  expect(await run(other, 'HGETALL "<script>alert(1)</script>"')).toContain('<img src=x onerror=alert(2)>');
  await other.context().close();
});

test('a link is a preview: the learner\'s own work comes back without it, or is kept aside on "Keep this"', async ({ page }) => {
  await page.goto(base);
  await ready(page);
  await run(page, 'SET shared-key 1');
  const url = await makeLink(page);
  await run(page, 'DEL shared-key');
  await run(page, 'SET mine yes');
  await page.waitForTimeout(300);

  await page.goto(url);
  await ready(page);
  await expect(page.locator('.save-notice')).toContainText('shared playground');
  expect(await run(page, 'EXISTS mine')).toBe('(integer) 0');
  expect(await run(page, 'GET shared-key')).toBe('"1"');
  await run(page, 'SET typed-in-preview 1');
  await page.waitForTimeout(300);
  // Without the link: the learner's own data, untouched by the preview.
  await page.goto(base);
  await ready(page);
  expect(await run(page, 'GET mine')).toBe('"yes"');
  expect(await run(page, 'EXISTS typed-in-preview shared-key')).toBe('(integer) 0');

  // Keep this: the shared state becomes theirs, the old one set aside.
  await page.goto(url);
  await ready(page);
  await page.locator('.save-notice').getByRole('button', { name: 'Keep this' }).click();
  await expect(page.locator('.save-notice')).toContainText('This playground is yours now');
  await run(page, 'SET after-keep 1');
  await page.waitForTimeout(300);
  await page.goto(base);
  await ready(page);
  expect(await run(page, 'EXISTS shared-key after-keep mine')).toBe('(integer) 2');
});

test('broken, foreign and oversized links are refused with a message', async ({ page }) => {
  await page.goto(base);
  await ready(page);
  await run(page, 'SET mine 1');
  await page.waitForTimeout(300);
  const cases: [string, string][] = [
    ['#share=not*base64!', 'characters a share link never has'],
    ['#share=' + Buffer.from('hello world').toString('base64url'), 'damaged'],
    ['#share=' + deflateRawSync(Buffer.from('not a state')).toString('base64url'), 'not a playground state'],
    ['#share=' + deflateRawSync(Buffer.alloc(20 * 1024 * 1024)).toString('base64url'), 'unpacks to more than 8 MB'],
  ];
  for (const [fragment, message] of cases) {
    await page.goto(base + fragment);
    await ready(page);
    await expect(page.locator('.save-notice')).toContainText("This share link can't be opened");
    await expect(page.locator('.save-notice')).toContainText(message);
    // The learner's own work is shown.
    expect(await run(page, 'GET mine')).toBe('"1"');
  }
});

test('an exercise step travels in a link, and a typical exercise link is small', async ({ page, browser }) => {
  const sizes: string[] = [];
  for (const id of ['first-steps', 'pto-requests']) {
    await forgetSaved(page);
    await page.goto(`${base}?exercise=${id}`);
    const guide = page.getByRole('complementary', { name: 'Exercise guide' });
    await guide.getByRole('button', { name: 'Start →' }).click();
    const steps = await guide.locator('.guide-dot').count();
    // Show me up to the middle of the exercise: a learner sharing where they are.
    const upTo = Math.ceil(steps / 2);
    for (let step = 0; step < upTo; step++) {
      await guide.getByRole('button', { name: 'Show me' }).click();
      await expect(guide.locator('.guide-complete')).toBeVisible({ timeout: 10_000 });
      await guide.getByRole('button', { name: 'Next step →' }).click();
    }
    const title = (await guide.locator('.guide-step-title').textContent()) ?? '';
    const url = await makeLink(page);
    const chars = url.length - url.indexOf('#');
    sizes.push(`${id}, at step ${upTo + 1} of ${steps}: ${chars} characters`);
    const other = await freshPage(browser);
    await other.goto(url);
    const otherGuide = other.getByRole('complementary', { name: 'Exercise guide' });
    await expect(otherGuide.locator('.guide-step-title')).toHaveText(title);
    await expect(otherGuide.locator('.guide-notice')).toHaveCount(0);
    await other.context().close();
    expect(chars).toBeLessThan(2048);
  }
  const text = `Share links (the fragment after #), headless Chromium:\n${sizes.map((s) => '  ' + s).join('\n')}\n`;
  mkdirSync(join(repo, 'bench'), { recursive: true });
  writeFileSync(join(repo, 'bench', 'page-share.txt'), text);
  console.log(text);
});
