/**
 * Issue 16, the console's own loose ends as a person sees them: a notification in the bell opens
 * the failing group it is about (the same link the e-mail carries); the athenaNet quota shows one
 * figure, the engine's, on every page.
 */
import { expect, test } from '@playwright/test'
import { startServe } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'
import { sendRawFrame } from './support/mllp'

const adt = (control: string, sex: string) =>
  `MSH|^~\\&|REGADT|RIVERSIDE|PS|CLINIC|20260601091500||ADT^A08|${control}|P|2.5.1\rEVN|A08|20260601091500\rPID|1||E2E7^^^RIVERSIDE^MR||QUINTERO^ELENA||19870618|${sex}\rPV1|1|I|WARD^2\r`

test('a notification in the bell opens the failing group it is about', async ({ page }) => {
  const serve = await startServe({ args: ['--config', 'docs/examples/sandbox-hl7.json'] })
  try {
    const listener = serve.listeners.find((l) => l.kind === 'hl7-mllp' && l.practice === 'sandbox')!
    // A failure (a sex code the map does not know), and a rule that notices it.
    expect(await sendRawFrame(listener.port, adt('E2E-BELL', 'Q'))).toMatch(/MSA\|AA\|E2E-BELL/)
    await expect.poll(async () => {
      const g = await serve.call<unknown[]>('errors.groups', { practiceId: 'sandbox' })
      return g.ok ? g.value.length : 0
    }).toBe(1)
    expect((await serve.call('alerts.saveRule', { practiceId: 'sandbox', name: 'Feed failing', kind: 'error_count', threshold: 1, windowMinutes: 60 })).ok).toBe(true)
    const raised = await serve.call<{ link: string }[]>('alerts.evaluate', { practiceId: 'sandbox' })
    expect(raised.ok && raised.value[0]!.link).toMatch(/^\/errors\?practiceId=sandbox&group=/)

    await openConsole(page, serve.url)
    await go(page, 'Dashboard')
    await page.getByTestId('notification-bell').click()
    const link = page.getByTestId('notification-link').first()
    await expect(link).toContainText('Feed failing')
    await keepScreenshot(page, 'feeds-bell-notification')
    // From the keyboard: focus the notification and press Enter.
    await link.focus()
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('group-detail')).toContainText('ctl E2E-BELL')
    await expect(page).toHaveURL(/#\/errors$/)
    await expect(page.getByTestId('notification-list')).toBeHidden()
    await keepScreenshot(page, 'feeds-bell-opens-group')
    // Following it read the notification.
    await expect(page.getByTestId('notification-bell')).toHaveAccessibleName('Notifications (0 unread)')
  } finally {
    await serve.stop()
  }
})

test('the athenaNet quota reads the same on the dashboard, Connections and API logs as the engine counts it', async ({ page }) => {
  const serve = await startServe()
  try {
    const sync = await serve.call<any>('athena.sync', { practiceId: 'sandbox', what: 'reference', mode: 'full', wait: true })
    expect(sync.ok && sync.value.status).toBe('done')
    const engineUsed = async () => {
      const u = await serve.call<{ dailyQuota: number; remainingQuota: number }>('athena.usage', { practiceId: 'sandbox' })
      if (!u.ok) throw new Error(u.error.message)
      return u.value.dailyQuota - u.value.remainingQuota
    }
    expect(await engineUsed()).toBeGreaterThan(0)
    // The engine keeps calling in the background now and then (FHIR subscriptions and the changed
    // feed set themselves up after start-up), so each page is read against the engine's count at
    // the same moment, until they agree.
    const agrees = async (where: string) => {
      const el = page.getByTestId(where).getByTestId('quota-used')
      await expect
        .poll(async () => {
          const before = await engineUsed()
          const ui = Number(await el.getAttribute('data-used'))
          return ui === before && ui === (await engineUsed())
        }, { timeout: 30_000 })
        .toBe(true)
      await expect(el).toHaveText(/^[\d,]+ of 50,000 quota calls used$/)
    }

    await openConsole(page, serve.url)
    await go(page, 'Dashboard')
    await agrees('quota-card')
    await go(page, 'Connections')
    await agrees('athena-sync')
    await go(page, 'API logs')
    await agrees('usage-panel')
    await keepScreenshot(page, 'feeds-quota-api-logs')
  } finally {
    await serve.stop()
  }
})
