/**
 * What issue #16 asked of the console, end to end against the real server with the sandbox HL7
 * configuration and real MLLP frames: the error queue's drawer, keyboard and per-row discard;
 * listener counters that open their transactions and the live port of a port-0 listener; a deep
 * link into another practice; previous / next within a search; raw and mapped side by side with
 * lineage; reveal with a reason and hide again; HL7 timestamps in words; one time format in the
 * zone each person chooses; the edit dialog's no-wrap editor and its diff; the bell across practices.
 */
import { expect, test, type Page } from '@playwright/test'
import { startServe, type ServeProcess } from '../support/serve-process'
import { go, keepScreenshot, openConsole, openHash } from './support/console'
import { sendRawFrame } from './support/mllp'

test.describe.configure({ mode: 'serial' })

const RUN = Date.now().toString(36).toUpperCase()
const OTHER = { id: 'north-clinic', name: 'North Clinic' }
let serve: ServeProcess
let practice: string
let port: number
const good: number[] = []
const bad: number[] = []

function adt(control: string, mrn: string, dob: string): string {
  return [
    `MSH|^~\\&|EPIC|DOWNTOWN|PRACTICESTUDIO|SANDBOX|20261125080000-0500||ADT^A04^ADT_A01|${control}|P|2.5.1`,
    `EVN|A04|20261125080000`,
    `PID|1||${mrn}^^^MRN^MR||FEEDSON^ANNA^M||${dob}|F|||12 ELM ST^^AUSTIN^TX^78701^US`,
    `PV1|1|O|CLINIC^101^^SANDBOX`,
  ].join('\r')
}

async function idOf(q: string, status: string): Promise<number> {
  let id = 0
  await expect
    .poll(async () => {
      const r = await serve.call<{ items: { id: number; status: string }[] }>('transactions.list', { practiceId: practice, q })
      id = r.ok ? (r.value.items.find((i) => i.status === status)?.id ?? 0) : 0
      return id
    }, { timeout: 30_000 })
    .toBeGreaterThan(0)
  return id
}

async function choose(page: Page, id: string): Promise<void> {
  const switcher = page.getByTestId('practice-switcher')
  if ((await switcher.inputValue()).endsWith(`(${id})`)) return
  await switcher.click()
  await page.getByRole('option', { name: new RegExp(`\\(${id}\\)$`) }).click()
}

test.beforeAll(async () => {
  serve = await startServe({ args: ['--config', 'docs/examples/sandbox-hl7.json'] })
  const l = serve.listeners.find((x) => x.kind === 'hl7-mllp')!
  practice = l.practice
  port = l.port
  for (const k of ['A', 'B', 'C']) {
    expect(await sendRawFrame(port, adt(`FG${RUN}${k}`, `FUI${RUN}${k}`, '19840412'))).toMatch(/MSA\|(AA|CA)/)
    good.push(await idOf(`FUI${RUN}${k}`, 'done'))
  }
  for (const k of ['X', 'Y']) {
    await sendRawFrame(port, adt(`FB${RUN}${k}`, `FBAD${RUN}${k}`, '19841304'))
    bad.push(await idOf(`FBAD${RUN}${k}`, 'error'))
  }
  // The same message again (a duplicate) and a frame with no MSH (refused at the door).
  await sendRawFrame(port, adt(`FG${RUN}A`, `FUI${RUN}A`, '19840412'))
  expect(await sendRawFrame(port, `PID|1||NOMSH${RUN}`)).toMatch(/MSA\|(AR|CR|AE|CE)/)
  const created = await serve.call('practices.create', { id: OTHER.id, name: OTHER.name, timeZone: 'America/Chicago' })
  expect(created.ok).toBe(true)
})

test.afterAll(async () => {
  await serve?.stop()
})

test('error queue: a group opens in a drawer from the keyboard, each row can be discarded', async ({ page }) => {
  await openConsole(page, serve.url)
  await choose(page, practice)
  await go(page, 'Error queue')
  const opener = page.getByTestId('error-group').filter({ hasText: /date|birth|PID-7/i }).getByTestId('open-group')
  await opener.focus()
  await page.keyboard.press('Enter')
  const drawer = page.getByRole('dialog')
  await expect(drawer.getByTestId('group-detail')).toBeVisible()
  await expect(drawer.getByTestId(`error-row-${bad[0]}`)).toBeVisible()
  // Focus moved into the drawer, where the eye is.
  await expect(drawer.locator(':focus')).toHaveCount(1)
  await keepScreenshot(page, 'feeds-error-drawer')
  await drawer.getByRole('button', { name: `Discard ${bad[1]}` }).click()
  const confirm = page.getByRole('dialog', { name: /Discard/ })
  await confirm.getByRole('textbox').first().fill('sent twice by the lab')
  await confirm.getByRole('button', { name: /^Discard/ }).last().click()
  await expect(drawer.getByTestId(`error-row-${bad[1]}`)).toHaveCount(0)
  await expect(drawer.getByTestId(`error-row-${bad[0]}`)).toBeVisible()
  // Escape closes the drawer and focus returns to the group it came from.
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('group-detail')).toHaveCount(0)
  await expect(opener).toBeFocused()
})

test('connections: the live port of a port-0 listener; the last test shows wherever it was run; refused and duplicate counters open their transactions', async ({ page }) => {
  await openConsole(page, serve.url)
  await choose(page, practice)
  await go(page, 'Connections')
  await expect(page.getByTestId('connection-row-adt-in').getByTestId('connection-target')).toHaveText(`127.0.0.1:${port} (OS-assigned)`)
  // A test run here is the last result on the Connectivity page too.
  await page.getByRole('button', { name: 'Test adt-in' }).click()
  await expect(page.getByTestId('test-result-adt-in')).toBeVisible()
  await go(page, 'Connectivity')
  await expect(page.getByTestId('connection-adt-in').getByTestId('connection-result')).toBeVisible()
  await go(page, 'Connections')
  const listener = page.getByTestId('listener-adt-in')
  await expect(listener.getByTestId('listener-duplicates')).toHaveText('1')
  await keepScreenshot(page, 'feeds-connections-counters')
  await listener.getByTestId('listener-refused').click()
  await expect(page).toHaveURL(/#\/transactions$/)
  await expect(page.getByTestId('tx-table').getByRole('row')).not.toHaveCount(1)
  for (const id of good) await expect(page.getByTestId(`tx-row-${id}`)).toHaveCount(0)
  await expect(page.getByTestId(`tx-row-${bad[0]}`)).toBeVisible()
  await go(page, 'Connections')
  await listener.getByTestId('listener-duplicates').getByRole('link').click()
  await expect(page.getByTestId(`tx-row-${good[0]}`)).toBeVisible()
})

test('a deep link into another practice names it and asks to switch before anything can be changed', async ({ page }) => {
  await openConsole(page, serve.url)
  await choose(page, OTHER.id)
  await openHash(page, `/transactions/${bad[0]}`)
  const banner = page.getByTestId('practice-mismatch')
  await expect(banner).toContainText('This transaction belongs to Sandbox Practice')
  await expect(banner).toContainText(`The console is set to ${OTHER.name}`)
  await expect(page.getByTestId('tx-practice')).toHaveText('Sandbox Practice')
  await expect(page.getByRole('button', { name: 'Edit & reprocess' })).toBeDisabled()
  await expect(page.getByRole('button', { name: 'Discard' })).toBeDisabled()
  await keepScreenshot(page, 'feeds-practice-mismatch')
  await banner.getByRole('button', { name: 'Switch to Sandbox Practice' }).click()
  await expect(banner).toHaveCount(0)
  await expect(page.getByTestId('practice-switcher')).toHaveValue(`Sandbox Practice (${practice})`)
  await expect(page.getByRole('button', { name: 'Edit & reprocess' })).toBeEnabled()
})

test('previous and next walk the search the message was opened from, kept in the URL', async ({ page }) => {
  await openConsole(page, serve.url)
  await choose(page, practice)
  await go(page, 'Transactions')
  await page.getByRole('textbox', { name: 'Search' }).fill(`FUI${RUN}`)
  await expect(page.getByTestId(`tx-row-${good[0]}`)).toBeVisible()
  await expect(page.getByTestId('tx-table').getByRole('row')).toHaveCount(4)
  await page.getByTestId(`tx-row-${good[2]}`).click()
  await expect(page).toHaveURL(new RegExp(`q=FUI${RUN}.*#/transactions/${good[2]}$`))
  const nav = page.getByTestId('tx-nav')
  await expect(nav.getByTestId('tx-nav-position')).toHaveText('1 of 3')
  await expect(nav.getByRole('button', { name: 'Previous' })).toBeDisabled()
  await nav.getByRole('link', { name: 'Next' }).click()
  await expect(page.getByRole('heading', { name: `Transaction #${good[1]}` })).toBeVisible()
  await expect(nav.getByTestId('tx-nav-position')).toHaveText('2 of 3')
  await keepScreenshot(page, 'feeds-inspector-prev-next')
  // The link carries the search: a fresh page walks the same list.
  const again = await page.context().newPage()
  await again.goto(page.url())
  await expect(again.getByTestId('tx-nav-position')).toHaveText('2 of 3')
  await again.getByTestId('tx-nav').getByRole('link', { name: 'Next' }).click()
  await expect(again.getByRole('heading', { name: `Transaction #${good[0]}` })).toBeVisible()
  await expect(again.getByTestId('tx-nav').getByRole('button', { name: 'Next' })).toBeDisabled()
  await again.close()
})

test('raw and mapped side by side: each mapped field highlights the source that fed it; HL7 times in words', async ({ page }) => {
  await openConsole(page, serve.url)
  await choose(page, practice)
  await openHash(page, `/transactions/${good[0]}`)
  const side = page.getByTestId('side-by-side')
  await expect(side).toBeVisible()
  await side.getByRole('button', { name: 'Show the source of last_name' }).click()
  await expect(side.locator('[data-lineage="true"][data-path="PID-5"]')).toBeVisible()
  await expect(side.getByTestId('lineage-last_name')).toContainText('PID-5.1')
  await side.getByRole('button', { name: 'Show the source of gender' }).click()
  await expect(side.locator('[data-lineage="true"][data-path="PID-8"]')).toBeVisible()
  await expect(side.locator('[data-lineage="true"][data-path="PID-5"]')).toHaveCount(0)
  // MSH-7 carries an offset: shown as an instant in the practice's zone (New York), raw value beside.
  await expect(side.getByTestId('value-MSH-7')).toHaveText('20261125080000-0500')
  await expect(side.getByTestId('readable-MSH-7')).toHaveText('= 2026-11-25 08:00:00 EST (sent with offset -05:00)')
  await keepScreenshot(page, 'feeds-side-by-side')
})

test('reveal asks for a reason when the installation says so, is audited with it, and can be hidden again', async ({ page }) => {
  await openConsole(page, serve.url)
  await choose(page, practice)
  await go(page, 'Settings')
  // The choice is the engine's (saved, then shown): click, and the saved value comes back checked.
  await page.getByTestId('privacy-card').getByRole('radio', { name: 'Requires a reason' }).click()
  await expect(page.getByTestId('privacy-card').getByRole('radio', { name: 'Requires a reason' })).toBeChecked()
  await expect.poll(async () => {
    const r = await serve.call<{ revealReason: string }>('inspector.settings', {})
    return r.ok ? r.value.revealReason : null
  }).toBe('required')
  await openHash(page, `/transactions/${good[1]}`)
  await page.getByRole('tab', { name: 'Raw' }).click()
  const raw = page.getByTestId('stage-raw')
  await expect(raw.getByTestId('masked-PID-3')).toBeVisible()
  await raw.getByRole('button', { name: 'Reveal PID-5' }).click()
  const ask = page.getByRole('dialog', { name: 'Reveal patient data' })
  await expect(ask.getByRole('button', { name: 'Reveal' })).toBeDisabled()
  await ask.getByRole('textbox', { name: 'Reason (required)' }).fill('patient called to confirm spelling')
  await ask.getByRole('button', { name: 'Reveal' }).click()
  await expect(raw.getByTestId('value-PID-5')).toHaveText('FEEDSON^ANNA^M')
  await keepScreenshot(page, 'feeds-revealed')
  await raw.getByRole('button', { name: 'Hide PID-5' }).click()
  await expect(raw.getByTestId('masked-PID-5')).toBeVisible()
  await expect(raw).not.toContainText('FEEDSON')
  const audit = await serve.call<{ details: unknown }[]>('audit.list', { action: 'phi.reveal', targetId: String(good[1]) })
  expect(audit.ok && audit.value[0]!.details).toEqual({ stage: 'raw', path: 'PID-5', reason: 'patient called to confirm spelling' })
  expect((await serve.call('inspector.saveSettings', { revealReason: 'off' })).ok).toBe(true)
})

test('every time in one format and zone, named; each person chooses practice zone, this computer or UTC', async ({ page }) => {
  await openConsole(page, serve.url)
  await choose(page, practice)
  await openHash(page, `/transactions/${good[0]}`)
  await page.getByRole('tab', { name: /Timeline/ }).click()
  const stamp = page.getByTestId('attempt-1').locator('time').first()
  await expect(stamp).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} E[SD]T$/)
  await go(page, 'Settings')
  await page.getByTestId('time-zone-card').getByRole('radio', { name: 'UTC', exact: true }).check()
  await expect(page.getByTestId('time-zone-example')).toHaveText(/UTC$/)
  await keepScreenshot(page, 'feeds-time-zone-setting')
  await page.goBack()
  await page.getByRole('tab', { name: /Timeline/ }).click()
  await expect(page.getByTestId('attempt-1').locator('time').first()).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/)
  // The choice is this person's (kept for them) and survives a reload.
  await page.reload()
  await go(page, 'Transactions')
  await expect(page.getByTestId('tx-table').locator('time').first()).toHaveText(/ UTC$/)
  await go(page, 'Settings')
  await page.getByTestId('time-zone-card').getByRole('radio', { name: /practice's zone/ }).check()
})

test('the edit dialog does not wrap segments and shows what the edit changes against the original', async ({ page }) => {
  await openConsole(page, serve.url)
  await choose(page, practice)
  await openHash(page, `/transactions/${bad[0]}`)
  await page.getByRole('button', { name: 'Edit & reprocess' }).click()
  const dialog = page.getByRole('dialog', { name: new RegExp(`Edit and reprocess #${bad[0]}`) })
  const editor = dialog.getByTestId('edit-payload')
  await expect(editor).toHaveValue(/19841304/)
  await expect(editor).toHaveAttribute('wrap', 'off')
  await expect(editor).toHaveCSS('white-space', 'pre')
  await editor.fill((await editor.inputValue()).replace('19841304', '19840413'))
  const diff = dialog.getByTestId('payload-diff')
  await expect(diff.locator('[data-path="PID-7"]')).toContainText('19841304')
  await expect(diff.locator('[data-path="PID-7"]')).toContainText('19840413')
  await expect(diff.getByRole('row')).toHaveCount(2)
  await keepScreenshot(page, 'feeds-edit-diff')
  await dialog.getByRole('button', { name: 'Cancel' }).click()
})

test('the bell shows this practice, or every practice with each one named', async ({ page }) => {
  const rule = await serve.call<{ id: string }>('alerts.saveRule', { practiceId: practice, name: 'Any failure', kind: 'error_count', threshold: 1, windowMinutes: 60 })
  expect(rule.ok).toBe(true)
  expect((await serve.call('alerts.evaluate', { practiceId: practice })).ok).toBe(true)
  await openConsole(page, serve.url)
  await choose(page, OTHER.id)
  await page.getByTestId('notification-bell').click()
  const list = page.getByTestId('notification-list')
  await expect(list).toContainText('No notifications.')
  await page.getByTestId('notification-scope').getByText('All practices').click()
  await expect(list).toContainText('Any failure')
  await expect(list.getByTestId('notification-practice').first()).toHaveText(' · Sandbox Practice')
  await keepScreenshot(page, 'feeds-bell-all-practices')
})
