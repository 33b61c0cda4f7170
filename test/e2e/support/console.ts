import { expect, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'

/** Opens the console with the session URL the server printed and waits until the shell is live. */
export async function openConsole(page: Page, url: string): Promise<void> {
  await page.goto(url)
  await expect(page.getByTestId('live-status')).toHaveText('live')
}

/** Keeps a screenshot of a page as a test artifact (test-results/screenshots). */
export async function keepScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync('test-results/screenshots', { recursive: true })
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true })
}

export async function go(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click()
}

/** Opens a console address (the part after `#`) in the page as a person following a link would. */
export async function openHash(page: Page, hash: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`)
}
