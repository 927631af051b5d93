import { expect, type Page } from '@playwright/test';

// Steps the end-to-end specs share.

/** Forgets what this browser profile saved for the page (localStorage, IndexedDB). */
export async function forgetSaved(page: Page): Promise<void> {
  await page
    .evaluate(
      () =>
        new Promise((resolve) => {
          localStorage.clear();
          const r = indexedDB.deleteDatabase('redis-playground');
          r.onsuccess = r.onerror = r.onblocked = () => resolve(true);
        }),
    )
    .catch(() => undefined);
}

/** In an open exercise: "Start", then "Show me" on each step up to and including the
 * first whose title starts with `lastTitle`. */
export async function showMeThrough(page: Page, lastTitle: string): Promise<void> {
  const guide = page.getByRole('complementary', { name: 'Exercise guide' });
  await guide.getByRole('button', { name: 'Start →' }).click();
  for (;;) {
    const title = (await guide.locator('.guide-step-title').textContent()) ?? '';
    await guide.getByRole('button', { name: /Show me/ }).click();
    await expect(guide.locator('.guide-complete')).toBeVisible();
    if (title.startsWith(lastTitle)) return;
    await guide.getByRole('button', { name: 'Next step →' }).click();
  }
}
