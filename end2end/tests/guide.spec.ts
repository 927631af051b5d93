import { test, expect, type Page } from '@playwright/test';

// The exercise guide as a learner meets it: the exercises menu, a step's commands pasted
// by a click, goals turning green as the console runs them, a hint, "Show me", a second
// console tab, progress kept across a reload, and an author's broken file explained.

const base = '/course/playground/';

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  return problems;
}

const guide = (page: Page) => page.getByRole('complementary', { name: 'Exercise guide' });
const input = (page: Page) => page.locator('input.console-input');

/** Clicks a command line of the guide (it pastes into the console) and presses Enter. */
async function pasteAndRun(page: Page, command: string) {
  await guide(page).getByRole('button', { name: new RegExp(`: ${escape(command)}$`) }).click();
  await expect(input(page)).toHaveValue(command);
  await input(page).press('Enter');
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function expectGoals(page: Page, done: number, total: number) {
  const goals = guide(page).locator('.goal');
  await expect(goals).toHaveCount(total);
  await expect(guide(page).locator('.goal.ok')).toHaveCount(done);
}

test('a learner completes the first-steps exercise from the menu, and progress survives a reload', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto(base);
  await expect(input(page)).toBeFocused();

  // The menu lists the built-in exercises with their progress.
  await page.getByRole('button', { name: 'Exercises' }).click();
  const dialog = page.getByRole('dialog', { name: 'Exercises' });
  await expect(dialog.locator('.ex-card')).not.toHaveCount(0);
  await expect(dialog.getByRole('progressbar', { name: /First steps with the playground: 0 of 4 steps done/ })).toBeVisible();
  await dialog.getByRole('button', { name: 'Start: First steps with the playground' }).click();
  await expect(dialog).toHaveCount(0);

  await expect(guide(page).getByRole('heading', { name: 'First steps with the playground' })).toBeVisible();
  await expect(guide(page).locator('.guide-progress')).toHaveText('Introduction · 0/4 done');
  await guide(page).getByRole('button', { name: 'Start →' }).click();

  // Step 1: two clicks, two Enters, two green goals.
  await expect(guide(page).locator('.guide-step-title')).toHaveText('Store a string');
  await expectGoals(page, 0, 2);
  await guide(page).getByRole('button', { name: 'Show a hint' }).click();
  await expect(guide(page).locator('.guide-hint')).toContainText('Click the SET line above');
  await pasteAndRun(page, 'SET greeting "Hello, Redis"');
  await expectGoals(page, 1, 2);
  await pasteAndRun(page, 'GET greeting');
  await expectGoals(page, 2, 2);
  await expect(guide(page).getByRole('status')).toHaveText('Step complete ✓');
  await expect(page.locator('.console')).toContainText('"Hello, Redis"');
  await expect(guide(page).locator('.guide-dot.done')).toHaveCount(1);

  // Step 2: the learner types freely instead of clicking.
  await guide(page).getByRole('button', { name: 'Next step →' }).click();
  await expect(guide(page).locator('.guide-step-title')).toHaveText('Count something');
  await input(page).fill('INCRBY visits 12');
  await input(page).press('Enter');
  await expectGoals(page, 1, 1);

  // Step 3: "Show me" types the commands and lets 31 s of virtual time pass.
  await guide(page).getByRole('button', { name: 'Next step →' }).click();
  await expect(guide(page).locator('.guide-step-title')).toHaveText('Let a key expire');
  await expectGoals(page, 1, 2); // session:42 does not exist yet
  await guide(page).getByRole('button', { name: 'Show me' }).click();
  await expectGoals(page, 2, 2);
  await expect(page.locator('.console')).toContainText('(integer) 30');

  // The progress is saved: a reload comes back to this exercise and step.
  await page.reload();
  await expect(guide(page).locator('.guide-progress')).toHaveText('Step 3 of 4 · 3/4 done');
  // The data was saved in the browser (IndexedDB): it comes back, nothing is replayed.
  await expect(guide(page).locator('.guide-notice')).toHaveCount(0);
  await input(page).fill('GET visits');
  await input(page).press('Enter');
  await expect(page.locator('.console')).toContainText('"12"');

  // Step 4: tab 2 waits in BLPOP, tab 1's LPUSH wakes it.
  await guide(page).getByRole('button', { name: 'Next step →' }).click();
  await expect(guide(page).locator('.guide-step-title')).toHaveText('A second terminal');
  await pasteAndRun(page, 'BLPOP jobs 0');
  await expect(page.getByRole('tab', { name: /redis-cli 2/ })).toHaveAttribute('aria-selected', 'true');
  await pasteAndRun(page, 'LPUSH jobs "send the newsletter"');
  await expect(page.getByRole('tab', { name: /redis-cli 1/ })).toHaveAttribute('aria-selected', 'true');
  await expectGoals(page, 2, 2);
  await expect(guide(page).getByText('Exercise complete. Well done!')).toBeVisible();

  await page.getByRole('button', { name: 'Exercises' }).click();
  await expect(dialog.getByRole('progressbar', { name: /First steps with the playground: 4 of 4 steps done/ })).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Review: First steps with the playground' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('an exercise file with mistakes is explained line by line, and a good one opens', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto(base);
  await page.getByRole('button', { name: 'Exercises' }).click();
  const dialog = page.getByRole('dialog', { name: 'Exercises' });
  await dialog.getByText('Load an exercise file...').click();
  const text = dialog.getByRole('textbox', { name: 'Exercise file text' });
  await text.fill('---\nid: mine\ntitel: Oops\n---\n## Step\n```check\nXLEN s => 3\n```\n');
  await dialog.getByRole('button', { name: 'Check and open' }).click();
  const alert = dialog.getByRole('alert');
  await expect(alert).toContainText("The pasted file can't be opened:");
  await expect(alert.locator('li')).toHaveText([
    'line 1: the front matter has no `title:` line',
    'line 3: unknown key `titel` (the front matter has id, title, summary, source, order)',
    'line 7: `=>` is not a comparison: use ==, !=, <, <=, >, >=, ~, contains or !contains',
  ]);

  // Hostile Markdown is shown as text, never run.
  await text.fill('---\nid: mine\ntitle: Mine <b>bold</b>\n---\n<script>window.hacked=1</script>\n\n## One\n\n<img src=x onerror="window.hacked=2">\n\n```redis\nSET a 1\n```\n\n```check\nGET a == 1\n```\n');
  await dialog.getByRole('button', { name: 'Check and open' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(guide(page).getByRole('heading', { name: 'Mine <b>bold</b>' })).toBeVisible();
  await expect(guide(page).locator('.guide-text')).toContainText('<script>window.hacked=1</script>');
  await guide(page).getByRole('button', { name: 'Start →' }).click();
  await expect(guide(page).locator('.guide-text')).toContainText('<img src=x');
  expect(await page.evaluate(() => (window as any).hacked)).toBeUndefined();
  await guide(page).getByRole('button', { name: 'Show me' }).click();
  await expectGoals(page, 1, 1);
  expect(problems).toEqual([]);
});

test('a URL names an exercise; an unknown one is explained', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto(`${base}?exercise=first-steps`);
  await expect(guide(page).getByRole('heading', { name: 'First steps with the playground' })).toBeVisible();
  await page.goto(`${base}?exercise=no-such-thing`);
  await expect(page.getByRole('dialog', { name: 'Exercises' }).getByRole('alert')).toContainText(
    'there is no built-in exercise `no-such-thing`',
  );
  expect(problems).toEqual([]);
});

test("a course's own exercise file opens from ?exercise-url=, and a broken one is explained", async ({ page }) => {
  const problems = watchProblems(page);
  // The course's site, as Playwright serves it for this test.
  await page.route((url) => url.pathname === '/course/my-exercise.md', (route) =>
    route.fulfill({
      contentType: 'text/markdown',
      body: '---\nid: course-one\ntitle: The course\'s own exercise\n---\nHello.\n\n## Count\n\n```redis\nINCR counter\n```\n\n```check\nGET counter == 1\n```\n',
    }),
  );
  await page.route((url) => url.pathname === '/course/broken.md', (route) =>
    route.fulfill({ contentType: 'text/markdown', body: '---\nid: broken\n---\n## Step\n```check\nGET x\n```\n' }),
  );
  await page.route((url) => url.pathname === '/course/missing.md', (route) => route.fulfill({ status: 404, body: 'no' }));

  await page.goto(`${base}?exercise-url=/course/my-exercise.md`);
  await expect(guide(page).getByRole('heading', { name: "The course's own exercise" })).toBeVisible();
  await guide(page).getByRole('button', { name: 'Start →' }).click();
  await pasteAndRun(page, 'INCR counter');
  await expectGoals(page, 1, 1);

  await page.goto(`${base}?exercise-url=/course/broken.md`);
  const alert = page.getByRole('dialog', { name: 'Exercises' }).getByRole('alert');
  await expect(alert).toContainText("/course/broken.md can't be opened:");
  await expect(alert.locator('li')).toHaveText([
    'line 1: the front matter has no `title:` line',
    'line 6: `GET x`: no comparison found: write COMMAND ARGS OP VALUE, e.g. `XLEN orders >= 3`',
  ]);

  await page.goto(`${base}?exercise-url=/course/missing.md`);
  await expect(page.getByRole('dialog', { name: 'Exercises' }).getByRole('alert')).toContainText('answered 404');
  // A failed fetch logs a console error in Chromium (the 404); nothing else may.
  expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
});

test('going from one exercise to the next leaves its untouched programs behind', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto(`${base}?exercise=streams-guide`);
  await guide(page).getByRole('button', { name: 'Start →' }).click();
  // Steps 1-7 by Show me: the consumer, three workers and the producer get program tabs.
  for (let step = 0; step < 7; step++) {
    await guide(page).getByRole('button', { name: 'Show me' }).click();
    await expect(guide(page).locator('.guide-complete')).toBeVisible();
    await guide(page).getByRole('button', { name: 'Next step →' }).click();
  }
  // Stop the workers, so that they are not running any more.
  await guide(page).getByRole('button', { name: 'Show me' }).click();
  await expect(page.locator('.program-tab')).toHaveCount(5);

  // The learner edits one of them: that tab is theirs now.
  await page.getByRole('tab', { name: 'worker_0.lua' }).click();
  const editor = page.getByRole('textbox', { name: 'Source of worker_0.lua' });
  await editor.press('Control+End');
  await editor.pressSequentially('\n-- my note');

  await page.getByRole('button', { name: 'Exercises' }).click();
  await page.getByRole('dialog', { name: 'Exercises' }).getByRole('button', { name: /delay queue/i }).click();
  await guide(page).getByRole('button', { name: 'Start →' }).click();
  await guide(page).getByRole('button', { name: 'Show me' }).click();
  await expect(guide(page).locator('.guide-complete')).toBeVisible();
  await expect(guide(page).locator('.guide-error')).toHaveCount(0);
  // The edited worker stays; the other finished, untouched programs of the streams guide
  // are gone; the delay queue's producer runs.
  const names = await page.locator('.program-tab .tab-name').allTextContents();
  expect(names.map((n) => n.replace(/[λ●×\s]/g, ''))).toEqual(
    expect.arrayContaining(['worker_0.lua', 'delay-producer.lua']),
  );
  expect(names.join(' ')).not.toContain('worker_1.lua');
  expect(names.join(' ')).not.toContain('consumer_group.lua');
  expect(problems).toEqual([]);
});
