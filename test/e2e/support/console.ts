import AxeBuilder from '@axe-core/playwright'
import { expect, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { TEST_ADMIN } from '../../support/serve-process'

/** Opens the console, signs in (as the suites' administrator unless told otherwise) and waits until the shell is live. */
export async function openConsole(page: Page, url: string, who: { username: string; password: string } = TEST_ADMIN): Promise<void> {
  await page.goto(url)
  const signIn = page.getByTestId('sign-in-form')
  const live = page.getByTestId('live-status')
  await expect(signIn.or(live).first()).toBeVisible()
  if (await signIn.isVisible()) await signInAs(page, who)
  await expect(live).toHaveText('live')
}

/** Fills the sign-in page (and the second-factor step when a code is given). */
export async function signInAs(page: Page, who: { username: string; password: string; code?: () => string }): Promise<void> {
  const form = page.getByTestId('sign-in-form')
  await form.getByRole('textbox', { name: 'Username' }).fill(who.username)
  await form.getByRole('textbox', { name: 'Password', exact: true }).fill(who.password)
  await form.getByRole('button', { name: 'Sign in' }).click()
  if (who.code) {
    const code = page.getByLabel('Code from your authenticator app')
    await expect(code).toBeVisible()
    await code.fill(who.code())
    await form.getByRole('button', { name: 'Sign in' }).click()
  }
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

/** Switches the console to light or dark mode with its header toggle (a no-op when already there). */
export async function setScheme(page: Page, scheme: 'light' | 'dark'): Promise<void> {
  const now = await page.locator('html').getAttribute('data-mantine-color-scheme')
  if (now !== scheme) await page.getByRole('button', { name: 'Toggle color scheme' }).click()
  await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', scheme)
}

/** The value of a `serve.call` result, or the failure as an exception. */
export async function must<T>(r: Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>): Promise<T> {
  const x = await r
  if (!x.ok) throw new Error(`${x.error.code}: ${x.error.message}`)
  return x.value
}

/**
 * An axe scan (WCAG 2.1 A/AA) of the page once its transitions have finished, toasts left out. A
 * toast closes on a timer and fades for 250 ms: a scan that met the fade read its half-transparent
 * text as a contrast failure (1.23:1) and failed a fresh-clone CI. A finite animation still running
 * (a drawer opening, a colour-scheme change) would do the same; a spinner's endless one is not waited for.
 */
export async function axeBuilder(page: Page): Promise<AxeBuilder> {
  // Polled with evaluate: waitForFunction's string form is an eval, which the console's CSP refuses.
  await expect.poll(() => page.evaluate(`document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity)`), { timeout: 10_000 }).toBe(true)
  return new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).exclude('.mantine-Notifications-root')
}

/** Serious or critical WCAG 2.1 AA violations on the page as it is now. */
export async function axe(page: Page): Promise<string[]> {
  const r = await (await axeBuilder(page)).analyze()
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
}
