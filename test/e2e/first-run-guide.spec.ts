/**
 * The first-run guide on the dashboard: a fresh sign-in on the built-in sandbox practice sees what
 * the sandbox simulates and four unticked first steps (the incremental appointments sync the FHIR
 * reconciliation starts on its own does not count); a real HL7 message over MLLP ticks the HL7 step,
 * a full reference-data sync from the Connections page ticks the sync step, opening the error queue
 * ticks its step, a practice of one's own with a connection the last; dismissing keeps it gone across a reload; axe finds no serious or critical
 * violation on the dashboard while it shows.
 */
import { expect, test } from '@playwright/test'
import { startServe, type ServeProcess } from '../support/serve-process'
import { axeBuilder, go, keepScreenshot, openConsole } from './support/console'
import { sendRawFrame } from './support/mllp'

let serve: ServeProcess

test.beforeAll(async () => {
  serve = await startServe({ args: ['--config', 'docs/examples/sandbox-hl7.json'] })
})

test.afterAll(async () => {
  await serve?.stop()
})

test('the first run explains the sandbox, ticks steps from real state, and stays dismissed', async ({ page }) => {
  await openConsole(page, serve.url)
  const guide = page.getByTestId('first-run-guide')
  await expect(guide).toBeVisible()
  await expect(guide).toContainText('No credentials are needed')
  await expect(guide).toContainText('athenaNet')
  await expect(guide).toContainText('FHIR')
  await expect(guide).toContainText('HL7 listener')
  for (const step of ['hl7', 'sync', 'errorQueue', 'realConnection']) await expect(page.getByTestId(`guide-${step}`)).toHaveAttribute('data-done', 'false')
  await expect(guide).toContainText('0 of 4 done')

  // Axe on the dashboard with the guide showing, in light and dark mode.
  await expect(page.getByTestId('dashboard-totals')).toBeVisible()
  for (const scheme of ['light', 'dark'] as const) {
    if ((await page.locator('html').getAttribute('data-mantine-color-scheme')) !== scheme) await page.getByRole('button', { name: 'Toggle color scheme' }).click()
    await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', scheme)
    const r = await (await axeBuilder(page)).analyze()
    const serious = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)
    expect(serious, serious.join('\n')).toEqual([])
    await keepScreenshot(page, `first-run-guide-fresh-${scheme}`)
  }

  // A real message to the sandbox listener ticks the HL7 step (the dashboard follows engine events).
  const l = serve.listeners.find((x) => x.kind === 'hl7-mllp')!
  const msg = [
    'MSH|^~\\&|REGADT|RIVERSIDE|PS|CLINIC|20260601091500||ADT^A04^ADT_A01|GUIDE1|P|2.5.1',
    'EVN|A04|20260601091500',
    'PID|1||MRN-GUIDE1^^^RIVERSIDE^MR||GUIDE^ANA||19800101|F',
    'PV1|1|O',
  ].join('\r')
  expect(await sendRawFrame(l.port, msg)).toMatch(/MSA\|(AA|CA)/)
  await expect(page.getByTestId('guide-hl7')).toHaveAttribute('data-done', 'true', { timeout: 30_000 })
  await expect(page.getByTestId('guide-sync')).toHaveAttribute('data-done', 'false')

  // A full sync run from the Connections page (where the step's link leads) ticks the sync step.
  await page.getByTestId('guide-sync').getByRole('link', { name: 'Run a full sync' }).click()
  await page.getByRole('button', { name: 'Sync reference' }).click()
  await expect(page.getByTestId('sync-status-reference')).toHaveText('done', { timeout: 60_000 })
  await go(page, 'Dashboard')
  await expect(page.getByTestId('guide-sync')).toHaveAttribute('data-done', 'true')

  // The step's link leads to its page; having opened the error queue ticks that step.
  await page.getByTestId('guide-errorQueue').getByRole('link', { name: 'Open the error queue' }).click()
  await expect(page.getByTestId('error-groups')).toBeVisible()
  await go(page, 'Dashboard')
  await expect(page.getByTestId('guide-errorQueue')).toHaveAttribute('data-done', 'true')
  await expect(page.getByTestId('guide-realConnection')).toHaveAttribute('data-done', 'false')
  await expect(guide).toContainText('3 of 4 done')
  await keepScreenshot(page, 'first-run-guide-progress')

  // A practice of one's own with a connection ticks the last step (the page follows engine events).
  expect((await serve.call('practices.create', { id: 'northside', name: 'Northside Clinic' })).ok).toBe(true)
  expect((await serve.call('connections.create', { practiceId: 'northside', kind: 'hl7-inbound', name: 'northside-adt', config: { host: '127.0.0.1', port: 0 } })).ok).toBe(true)
  await expect(page.getByTestId('guide-realConnection')).toHaveAttribute('data-done', 'true')
  await expect(guide).toContainText('4 of 4 done')

  // Dismissed: gone now and after a reload.
  await guide.getByRole('button', { name: 'Dismiss guide' }).click()
  await expect(guide).toHaveCount(0)
  await page.reload()
  await expect(page.getByTestId('live-status')).toHaveText('live')
  await expect(page.getByTestId('dashboard-totals')).toBeVisible()
  await expect(page.getByTestId('first-run-guide')).toHaveCount(0)
  await keepScreenshot(page, 'first-run-guide-dismissed')
})
