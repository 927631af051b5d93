import { test, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Programs and virtual time, as a learner meets them: the streams guide's processes
// (a producer, a worker of a consumer group, a supervisor) run as program tabs beside
// the consoles, and the time bar fast-forwards them.

const base = '/course/playground/';
const repo = resolve(__dirname, '../..');

/** Opens the page; the returned list collects page errors (a panic shows there). */
async function open(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(base);
  await expect(page.locator('input.console-input')).toBeFocused();
  expect(problems).toEqual([]);
  return problems;
}

/** Opens a program from the "+ program" menu and runs it; returns its panel. */
async function startProgram(page: Page, file: string) {
  await page.getByRole('button', { name: '+ program' }).click();
  await page.getByRole('menuitem', { name: new RegExp(`^${file.replace('.', '\\.')}`) }).click();
  await expect(page.getByRole('tab', { name: file })).toHaveAttribute('aria-selected', 'true');
  const panel = page.locator('.program');
  await expect(panel.getByRole('textbox', { name: `Source of ${file}` })).toBeVisible();
  await panel.getByRole('button', { name: /Run/ }).click();
  await expect(panel.locator('.program-log')).toContainText(`started ${file}`);
  return panel;
}

async function showTab(page: Page, name: string) {
  await page.getByRole('tab', { name }).click();
  await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
}

test('a producer, a worker killed while it holds an order, and a supervisor that claims it', async ({ page }) => {
  const problems = await open(page);
  const bar = page.getByRole('group', { name: 'Virtual time' });
  await expect(bar.getByRole('button', { name: 'x1', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(bar.locator('.tb-note')).toHaveCount(0);

  const producer = await startProgram(page, 'producer.lua');
  await expect(producer.locator('.program-state')).toHaveText(/^sleeping until \d\d:\d\d:\d\d$/);
  const worker = await startProgram(page, 'worker.lua');
  await expect(worker.locator('.program-log')).toContainText('working on');

  // A minute goes by in an instant: an order every 5 s, the worker needs 8 s for each.
  const t0 = Date.now();
  await bar.getByRole('button', { name: 'Advance 1 minute' }).click();
  await expect(worker.locator('.pl-line.out', { hasText: /^\d\d:\d\d:\d\ddone/ })).toHaveCount(7);
  console.log(`+1 min with a producer and a worker: ${Date.now() - t0} ms from click to the worker's log`);
  await expect(bar.locator('.tb-note')).toContainText('ahead of real time');
  await showTab(page, 'producer.lua');
  await expect(page.locator('.program .pl-line.out')).toHaveCount(13);

  // The stream view follows what the programs did.
  await page.locator('.key-list .key', { hasText: 'orders' }).click();
  const pane = page.locator('.stream-view');
  await expect(pane.locator('.sv-key')).toHaveText('orders');
  await expect(pane.locator('.count')).toContainText('13');
  const group = pane.locator('.sv-group', { has: page.locator('.sv-group-name', { hasText: 'workers' }) });
  await expect(group).toHaveCount(1);

  // Kill the worker while it works on an order: the order stays pending, owned by worker-1.
  await showTab(page, 'worker.lua');
  const workerPanel = page.locator('.program');
  await expect(workerPanel.locator('.program-state')).toHaveText(/^sleeping until/);
  const held = ((await workerPanel.locator('.pl-line.out').last().textContent()) ?? '').match(/working on\s(\d+-\d+)/)?.[1];
  expect(held).toBeTruthy();
  await workerPanel.getByRole('button', { name: 'Kill' }).click();
  await expect(workerPanel.locator('.program-state')).toHaveText('killed');
  await expect(workerPanel.locator('.pl-line.note').last()).toContainText('killed');
  const pel = group.locator('.sv-pel tbody tr');
  await expect(pel).toHaveCount(1);
  await expect(pel.first().locator('.sv-id')).toHaveText(held!);
  await expect(pel.first().locator('.sv-consumer')).toHaveText('worker-1');

  // The supervisor claims what stayed pending for 10 s, finishes it and acknowledges it.
  const supervisor = await startProgram(page, 'supervisor.lua');
  await bar.getByRole('button', { name: 'x100' }).click();
  await expect(bar.getByRole('button', { name: 'x100' })).toHaveAttribute('aria-pressed', 'true');
  await expect(bar.locator('.tb-note')).toContainText('Running at x100');
  await expect(supervisor.locator('.program-log')).toContainText(new RegExp(`claimed\\s${held}`), { timeout: 10_000 });
  await expect(pel).toHaveCount(0);
  await bar.getByRole('button', { name: /Pause/ }).click();
  await expect(bar.locator('.tb-note')).toContainText('Paused');

  mkdirSync(join(repo, 'end2end', 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(repo, 'end2end', 'screenshots', 'programs.png') });

  // The consoles still work, on virtual time: Ctrl+C in a program tab stops it.
  await page.locator('.program-editor').focus();
  await page.keyboard.press('Control+c');
  await expect(page.locator('.program .program-state')).toHaveText('interrupted');
  expect(problems).toEqual([]);
});

test('a busy loop shows as running and the page stays responsive', async ({ page }) => {
  const problems = await open(page);
  await page.getByRole('button', { name: '+ program' }).click();
  await page.getByRole('menuitem', { name: /^program\.lua/ }).click();
  const editor = page.getByRole('textbox', { name: 'Source of program.lua' });
  // Tab indents with two spaces (Shift+Tab leaves the editor).
  await editor.fill('while true do\nend');
  await editor.press('Control+Home');
  await editor.press('ArrowDown');
  await editor.press('Tab');
  await expect(editor).toHaveValue('while true do\n  end');
  await expect(editor).toBeFocused();
  await editor.fill('local n = 0\nwhile true do n = n + 1 end');
  await editor.press('Control+Enter');
  await expect(page.locator('.program .program-state')).toHaveText('running');
  // The page's tasks stay short while it runs: no long task over 200 ms in 2 s.
  const longest = await page.evaluate(
    () =>
      new Promise<number>((done) => {
        let max = 0;
        const observer = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) max = Math.max(max, e.duration);
        });
        observer.observe({ type: 'longtask', buffered: false });
        setTimeout(() => {
          observer.disconnect();
          done(max);
        }, 2_000);
      }),
  );
  console.log(`busy loop: longest task ${longest.toFixed(0)} ms over 2 s (0: none over 50 ms)`);
  expect(longest).toBeLessThan(200);
  // The console answers at once meanwhile.
  await page.getByRole('tab', { name: /redis-cli 1/ }).click();
  await page.locator('input.console-input').focus();
  const t0 = Date.now();
  await page.keyboard.type('PING');
  await page.keyboard.press('Enter');
  await expect(page.locator('.entries .entry').last()).toHaveText('PONG');
  const pingMs = Date.now() - t0;
  console.log(`busy loop: PING typed and answered in ${pingMs} ms`);
  expect(pingMs).toBeLessThan(2_000);
  // A syntax error shows Lua's message; the loop keeps running.
  await page.getByRole('tab', { name: 'program.lua' }).click();
  await editor.fill('while true do x = = 1 end');
  await page.locator('.program').getByRole('button', { name: /Restart/ }).click();
  await expect(page.locator('.program-error')).toHaveText(/^program\.lua:1: .+ near '='$/);
  await expect(page.locator('.program .program-state')).toHaveText('running');
  expect(problems).toEqual([]);
});

test('programs in the other theme, with the menu and a crashed program', async ({ page }) => {
  const problems = await open(page);
  await page.locator('.theme-toggle').click();
  await page.getByRole('button', { name: '+ program' }).click();
  await page.getByRole('menuitem', { name: /^program\.lua/ }).click();
  const editor = page.getByRole('textbox', { name: 'Source of program.lua' });
  await editor.fill("print('counting')\nlocal n = redis.call('INCR', 'hits')\nredis.call('LPUSH', 'hits', n)");
  await editor.press('Control+Enter');
  await expect(page.locator('.program .program-state')).toHaveText(/^crashed: program\.lua:3: WRONGTYPE/);
  await expect(page.locator('.program .pl-line.err')).toHaveCount(1);
  await page.getByRole('button', { name: '+ program' }).click();
  await expect(page.getByRole('menu', { name: 'New program' })).toBeVisible();
  mkdirSync(join(repo, 'end2end', 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(repo, 'end2end', 'screenshots', 'programs-theme.png') });
  // The menu works from the keyboard: its first item has the focus, arrows move it,
  // Escape closes it and gives the focus back to its button.
  await expect(page.getByRole('menuitem', { name: /^program\.lua/ })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: /^producer\.lua/ })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toHaveCount(0);
  await expect(page.getByRole('button', { name: '+ program' })).toBeFocused();
  expect(problems).toEqual([]);
});
