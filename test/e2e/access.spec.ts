/**
 * People and practice boundaries in Chromium against the real server: the first administrator
 * is created from the printed setup link; an operator is invited for one practice, signs in with
 * a temporary password and then with TOTP, and sees nothing of the other practice anywhere; a
 * refused action; break-glass with its banner; sign-out after the idle limit.
 */
import { expect, test, type Page } from '@playwright/test'
import { totpCode } from '../../electron/engine/access/totp'
import { startServe, type ServeProcess } from '../support/serve-process'
import { go, keepScreenshot, openConsole, signInAs } from './support/console'

const ADMIN = { username: 'iris', displayName: 'Iris Admin', password: 'quartz meadow lantern 7' }
const OPERATOR_PASSWORD = 'violet harbour copper 19'

/** Calls the API as a browser would (cookie + CSRF header), signing in with `who`. */
async function session(origin: string, who: { username: string; password: string; code?: string }) {
  let cookie = ''
  const call = async <T,>(method: string, input: unknown = {}): Promise<T> => {
    const res = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(input) })
    const set = res.headers.getSetCookie()[0]
    if (set) cookie = set.split(';')[0]
    const body = (await res.json()) as { ok: boolean; value?: T; error?: { code: string; message: string } }
    if (!body.ok) throw new Error(`${method}: ${body.error?.code} ${body.error?.message}`)
    return body.value as T
  }
  await call('auth.signIn', { username: who.username, password: who.password, ...(who.code ? { code: who.code } : {}) })
  return call
}

async function practiceOptions(page: Page): Promise<string[]> {
  await page.getByTestId('practice-switcher').click()
  const options = await page.getByRole('option').allTextContents()
  await page.keyboard.press('Escape')
  return options
}

test('first-run administrator, an operator limited to one practice (with TOTP), a refused action, break-glass', async ({ page, browser }) => {
  test.setTimeout(300_000)
  const serve: ServeProcess = await startServe({ setup: false })
  try {
    // First run: the printed link creates the administrator, once.
    await page.goto(serve.printedUrl)
    const setup = page.getByTestId('setup-form')
    await setup.getByRole('textbox', { name: 'Username' }).fill(ADMIN.username)
    await setup.getByRole('textbox', { name: 'Full name' }).fill(ADMIN.displayName)
    await setup.getByRole('textbox', { name: 'Password', exact: true }).fill(ADMIN.password)
    await setup.getByRole('textbox', { name: 'Repeat password' }).fill(ADMIN.password)
    await setup.getByRole('button', { name: 'Create administrator' }).click()
    await expect(page.getByTestId('live-status')).toHaveText('live')
    await expect(page.getByTestId('user-menu')).toHaveText(ADMIN.username)
    expect(page.url()).not.toContain('setup=')
    await keepScreenshot(page, 'access-first-run')

    const admin = await session(serve.origin, ADMIN)
    await admin('practices.create', { id: 'alpha', name: 'Alpha Family Medicine' })
    await admin('practices.create', { id: 'bravo', name: 'Bravo Clinic' })
    await admin('connections.create', { practiceId: 'bravo', kind: 'hl7-inbound', name: 'bravo-adt', config: { host: '127.0.0.1', port: 0 } })

    // Invite an operator for alpha only, from the People page.
    await page.reload()
    await expect(page.getByTestId('live-status')).toHaveText('live')
    await go(page, 'People')
    await page.getByRole('button', { name: 'Invite a person' }).click()
    const invite = page.getByTestId('invite-form')
    await invite.getByRole('textbox', { name: 'Username' }).fill('otto')
    await invite.getByRole('textbox', { name: 'Full name' }).fill('Otto Operator')
    await invite.getByRole('button', { name: 'Add a role' }).click()
    await invite.getByRole('combobox', { name: 'Practice' }).click()
    await page.getByRole('option', { name: 'Alpha Family Medicine (alpha)' }).click()
    await invite.getByRole('combobox', { name: 'Role' }).click()
    await page.getByRole('option', { name: 'Operator' }).click()
    await invite.getByRole('button', { name: 'Invite' }).click()
    const temp = (await page.getByTestId('temporary-password').locator('code').textContent())!.trim()
    await expect(page.getByTestId('person-otto')).toContainText('alpha: Operator')
    await keepScreenshot(page, 'access-people')

    // The operator signs in with the temporary password, chooses their own, and enrols TOTP.
    const ctx = await browser.newContext()
    const op = await ctx.newPage()
    await op.goto(serve.url)
    await signInAs(op, { username: 'otto', password: temp })
    const change = op.getByTestId('change-password-form')
    await change.getByRole('textbox', { name: 'Temporary password' }).fill(temp)
    await change.getByRole('textbox', { name: 'New password', exact: true }).fill(OPERATOR_PASSWORD)
    await change.getByRole('textbox', { name: 'Repeat new password' }).fill(OPERATOR_PASSWORD)
    await change.getByRole('button', { name: 'Change password' }).click()
    await expect(op.getByTestId('live-status')).toHaveText('live')
    await op.getByTestId('user-menu').click()
    await op.getByRole('menuitem', { name: 'My account' }).click()
    await op.getByRole('textbox', { name: 'Password', exact: true }).fill(OPERATOR_PASSWORD)
    await op.getByRole('button', { name: 'Set up second factor' }).click()
    const secret = (await op.getByTestId('totp-secret').textContent())!.trim()
    await op.getByRole('textbox', { name: 'Code from your authenticator app' }).fill(totpCode(secret, Date.now()))
    await op.getByRole('button', { name: 'Turn on' }).click()
    await expect(op.getByTestId('recovery-codes')).toBeVisible()
    await op.getByRole('button', { name: 'Done' }).click()
    await op.getByTestId('user-menu').click()
    await op.getByRole('menuitem', { name: 'Sign out' }).click()

    // Next sign-in needs the code (the next 30-second step: a code is never accepted twice).
    await expect(op.getByTestId('sign-in-form')).toBeVisible()
    await op.waitForTimeout(31_000 - (Date.now() % 30_000))
    await signInAs(op, { username: 'otto', password: OPERATOR_PASSWORD, code: () => totpCode(secret, Date.now()) })
    await expect(op.getByTestId('live-status')).toHaveText('live')

    // The other practice is invisible everywhere: switcher, connections, transactions, API.
    expect(await practiceOptions(op)).toEqual(['Alpha Family Medicine (alpha)'])
    await go(op, 'Connections')
    await expect(op.getByText('bravo-adt')).toHaveCount(0)
    await go(op, 'Transactions')
    await expect(op.getByText(/bravo/i)).toHaveCount(0)
    const probe = await op.evaluate(async () => {
      const r = await fetch('/api/practices.get', { method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1' }, body: JSON.stringify({ id: 'bravo' }) })
      return (await r.json()) as { ok: boolean; error?: { code: string } }
    })
    expect(probe).toMatchObject({ ok: false, error: { code: 'not_found' } })
    // Audit and People are not in their navigation; opening the Audit page anyway is refused by the engine.
    await expect(op.getByRole('navigation').getByRole('link', { name: 'Audit' })).toHaveCount(0)
    await op.goto(`${serve.url}#/audit`)
    await expect(op.getByTestId('error-alert')).toContainText('forbidden')
    await keepScreenshot(op, 'access-refused')
    const denied = await admin<{ action: string; targetId: string; personId: string }[]>('audit.list', { action: 'access.denied' })
    expect(denied.some((d) => d.targetId === 'audit.list')).toBe(true)
    await ctx.close()

    // Break-glass: an on-call viewer of alpha opens emergency access; the banner counts down.
    await admin('roles.save', { id: 'oncall', name: 'On-call viewer', permissions: ['msg.view_meta', 'breakglass.invoke'] })
    const { temporaryPassword } = await admin<{ temporaryPassword: string }>('people.invite', { username: 'vera', displayName: 'Vera Oncall', grants: [{ practiceId: 'alpha', roleId: 'oncall' }] })
    const vera = await session(serve.origin, { username: 'vera', password: temporaryPassword })
    await vera('account.changePassword', { current: temporaryPassword, next: OPERATOR_PASSWORD })
    const ctx2 = await browser.newContext()
    const on = await ctx2.newPage()
    await openConsole(on, serve.url, { username: 'vera', password: OPERATOR_PASSWORD })
    await on.getByTestId('user-menu').click()
    await on.getByRole('menuitem', { name: 'Emergency access…' }).click()
    const modal = on.getByRole('dialog')
    await modal.getByRole('textbox', { name: /What happened/ }).fill('Patient at the front desk, the EHR is down')
    await modal.getByRole('textbox', { name: 'Password', exact: true }).fill(OPERATOR_PASSWORD)
    await modal.getByRole('button', { name: 'Open emergency access' }).click()
    await expect(on.getByTestId('breakglass-banner')).toContainText('Emergency access to alpha is open')
    await expect(on.getByTestId('breakglass-countdown')).toHaveText(/^(60:00|59:\d\d)$/)
    await go(on, 'Transactions')
    await expect(on.getByTestId('breakglass-banner')).toBeVisible()
    await keepScreenshot(on, 'access-breakglass')
    const notes = await admin<{ items: { title: string }[] }>('alerts.notifications', { practiceId: 'alpha' })
    expect(notes.items.map((n) => n.title)).toContain('Emergency access opened')
    await ctx2.close()
  } finally {
    await serve.stop()
  }
})

test('sign-out after the idle limit', async ({ page }) => {
  const serve = await startServe({ args: ['--access-config', 'test/fixtures/foundation/access-idle.json'] })
  try {
    await openConsole(page, serve.url)
    // Hands off the keyboard and mouse: after the idle limit (6 s here) the console shows the sign-in page and why.
    await expect(page.getByTestId('session-ended')).toContainText('signed out after a period without activity', { timeout: 60_000 })
    await expect(page.getByTestId('sign-in-form')).toBeVisible()
    await keepScreenshot(page, 'access-idle')
  } finally {
    await serve.stop()
  }
})
