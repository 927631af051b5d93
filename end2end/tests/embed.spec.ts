import { test, expect } from '@playwright/test';

// The playground in a course page's iframe (web/embed-example.html, copied into dist/):
// URL parameters choose the layout, the theme and commands to run; the host page runs
// commands through postMessage and receives replies and events; read-only mode refuses
// writes with Redis's READONLY error; a bad parameter is named, not fatal.

const base = '/course/playground/';

test('the example course page embeds the playground and talks to it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setViewportSize({ width: 1000, height: 900 });
  await page.goto(base + 'embed-example.html');
  const frame = page.frameLocator('iframe#playground');
  // The URL's commands ran, in the console-only layout, light theme, in 800x500.
  await expect(frame.locator('.console')).toContainText('"hello from the course"');
  await expect(frame.locator('.visual')).toBeHidden();
  await expect(frame.locator('html')).toHaveAttribute('data-theme', 'light');
  const box = await page.locator('iframe#playground').boundingBox();
  expect(Math.round(box?.width ?? 0)).toBe(802);
  // The host runs a command and gets the reply; the subscription reports it too.
  const log = page.getByLabel('Messages');
  await expect(log).toContainText('"type":"redis-playground:ready"');
  await page.getByLabel('Command for the playground').fill('INCR visits');
  await page.getByRole('button', { name: 'Run in the playground' }).click();
  await expect(log).toContainText('{"type":"redis-playground:reply","id":"1","command":"INCR visits","reply":"(integer) 1\\n"}');
  await expect(log).toContainText('{"type":"redis-playground:command","command":"INCR visits","reply":"(integer) 1\\n"}');
  await expect(frame.locator('.console')).toContainText('(integer) 1');
  // A learner typing in the iframe is reported as well.
  await frame.locator('input.console-input').fill('GET visits');
  await frame.locator('input.console-input').press('Enter');
  await expect(log).toContainText('{"type":"redis-playground:command","command":"GET visits","reply":"\\"1\\"\\n"}');
  expect(errors).toEqual([]);
});

test('read-only mode refuses writes as a read-only replica, reads work', async ({ page }) => {
  await page.goto(base + '?readonly=1&commands=' + encodeURIComponent('SET a 1\nGET a\nEVAL "return redis.call(\'SET\', \'a\', 1)" 0'));
  const consoleText = page.locator('.console');
  await expect(consoleText).toContainText("(error) READONLY You can't write against a read only replica.");
  await expect(consoleText).toContainText('(nil)');
  await expect(consoleText).toContainText("READONLY You can't write against a read only replica. script:");
  await expect(page.locator('.brand h1')).toBeVisible();
  await expect(page.locator('.app.read-only')).toHaveCount(1);
});

test('a parameter the page cannot use is named in a notice', async ({ page }) => {
  await page.goto(base + '?layout=sideways&theme=purple');
  await expect(page.locator('input.console-input')).toBeFocused();
  await expect(page.locator('.save-notice')).toContainText('layout=sideways is not a layout (console, full, exercise)');
  await expect(page.locator('.save-notice')).toContainText('theme=purple is not light or dark');
  await expect(page.locator('.visual')).toBeVisible();
});

test('embedded playgrounds keep their own saved data, apart from the standalone page', async ({ page }) => {
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  await page.keyboard.insertText('SET standalone 1');
  await page.keyboard.press('Enter');
  await page.goto(base + 'embed-example.html');
  const frame = page.frameLocator('iframe#playground');
  await expect(frame.locator('.console')).toContainText('"hello from the course"');
  await frame.locator('input.console-input').fill('EXISTS standalone greeting');
  await frame.locator('input.console-input').press('Enter');
  await expect(frame.locator('.console')).toContainText('(integer) 1');
  await page.waitForTimeout(300);
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  await page.keyboard.insertText('EXISTS standalone greeting');
  await page.keyboard.press('Enter');
  await expect(page.locator('.entries .entry').last()).toHaveText('(integer) 1');
});
