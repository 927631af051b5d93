import { test, expect, type Page } from '@playwright/test';
import { forgetSaved } from '../support';

// Every built-in exercise, completed in the page as a learner following it would: for each
// step, in order, click each command (it is pasted into its console tab) and press Enter,
// click each action (start or kill a program, let time pass), then every goal of the step
// must be green before moving on. No "Show me": this is the learner's path.

const base = '/course/playground/';

interface Listed {
  id: string;
  title: string;
}

async function listExercises(page: Page): Promise<Listed[]> {
  await page.goto(base);
  await page.getByRole('button', { name: 'Exercises' }).click();
  const buttons = page.locator('.ex-dialog .ex-open');
  await expect(buttons.first()).toBeVisible();
  const ids = await buttons.evaluateAll((els) => els.map((e) => e.getAttribute('data-exercise') ?? ''));
  const titles = await page.locator('.ex-card h3').allTextContents();
  return ids.map((id, i) => ({ id, title: titles[i] }));
}

test('every built-in exercise can be completed by clicking through it', async ({ page }) => {
  test.setTimeout(600_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  // WALK_ONLY=job-queue,express-redis runs only those (while writing an exercise).
  const only = (process.env.WALK_ONLY ?? '').split(',').filter((s) => s !== '');
  const exercises = (await listExercises(page)).filter((e) => only.length === 0 || only.includes(e.id));
  expect(exercises.length).toBeGreaterThan(0);
  const input = page.locator('input.console-input');
  const guide = page.getByRole('complementary', { name: 'Exercise guide' });

  for (const { id, title } of exercises) {
    await test.step(title, async () => {
      // A fresh page for each exercise: an empty server, as a learner arriving by link
      // (nothing saved either: the program tabs of the previous exercise would stay).
      await forgetSaved(page);
      await page.goto(`${base}?exercise=${id}`);
      await expect(guide.getByRole('heading', { name: title })).toBeVisible();
      await guide.getByRole('button', { name: 'Start →' }).click();
      const steps = await guide.locator('.guide-dot').count();
      for (let step = 0; step < steps; step++) {
        const stepTitle = (await guide.locator('.guide-step-title').textContent()) ?? '';
        await test.step(`step ${step + 1}: ${stepTitle}`, async () => {
          const clickable = guide.locator('.guide-body').locator('.cmd-line, .do-action');
          const count = await clickable.count();
          for (let i = 0; i < count; i++) {
            const target = clickable.nth(i);
            const isCommand = await target.evaluate((e) => e.classList.contains('cmd-line'));
            if (isCommand) {
              const command = (await target.getAttribute('data-command')) ?? '';
              await target.click();
              await expect(input).toHaveValue(command);
              await input.press('Enter');
            } else {
              await target.click();
            }
            await expect(guide.locator('.guide-error')).toHaveCount(0);
          }
          const goals = guide.locator('.goal');
          const total = await goals.count();
          await expect(guide.locator('.goal.ok')).toHaveCount(total, { timeout: 10_000 });
          if (total > 0) {
            await expect(guide.locator('.guide-complete')).toBeVisible();
          }
        });
        if (step + 1 < steps) {
          await guide.getByRole('button', { name: 'Next step →' }).click();
        }
      }
      await expect(guide.locator('.guide-dot.done')).toHaveCount(
        await guide.locator('.guide-dot').count(),
      );
      await expect(guide.getByText('Exercise complete. Well done!')).toBeVisible();
    });
  }
  expect(problems).toEqual([]);
});
