/**
 * The operator console end to end: the real server (`npm run serve` with the sandbox HL7
 * configuration), HL7 traffic sent by a real MLLP client (Debian's python3-hl7 `mllp_send`),
 * and Chromium driving the console. One server for the whole file; the tests run in order and
 * build on each other like an operator's morning: find a message, inspect it, work the error
 * queue, check the audit trail.
 */
import { expect, test, type Page } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe, type ServeProcess } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'

test.describe.configure({ mode: 'serial' })

const CONFIG = 'docs/examples/sandbox-hl7.json'
const RUN = Date.now().toString(36).toUpperCase()
const GOOD_MRN = `E2E${RUN}`
const BAD_MRNS = [1, 2, 3, 4].map((i) => `BAD${RUN}${i}`)

function adt(control: string, mrn: string, dob: string): string {
  return [
    `MSH|^~\\&|EPIC|DOWNTOWN|PRACTICESTUDIO|SANDBOX|20261125080000||ADT^A04^ADT_A01|${control}|P|2.5.1`,
    `EVN|A04|20261125080000`,
    `PID|1||${mrn}^^^MRN^MR||QUIRINUS^ANNA^M||${dob}|F|||12 ELM ST^^AUSTIN^TX^78701^US||^PRN^PH^^1^512^5550142`,
    `PV1|1|O|CLINIC^101^^SANDBOX`,
  ].join('\r')
}

let serve: ServeProcess
let practice: string
let mllpPort: number
const dir = mkdtempSync(join(tmpdir(), 'ps-e2e-console-'))

/** Sends one message with a real MLLP client and returns what it printed (the ACK). */
function mllpSend(name: string, message: string): string {
  const file = join(dir, `${name}.hl7`)
  writeFileSync(file, message + '\r')
  // The script's own interpreter (/usr/bin/python3) has python3-hl7; a pyenv python3 on PATH may not.
  return execFileSync('/usr/bin/mllp_send', ['--loose', '-p', String(mllpPort), '-f', file, '127.0.0.1'], { encoding: 'utf8', timeout: 30_000 })
}

async function txId(q: string, status?: string): Promise<number> {
  let id = 0
  await expect
    .poll(
      async () => {
        const r = await serve.call<{ items: { id: number; status: string }[] }>('transactions.list', { practiceId: practice, q })
        const hit = r.ok ? r.value.items.find((i) => !status || i.status === status) : undefined
        id = hit?.id ?? 0
        return id
      },
      { timeout: 30_000 },
    )
    .toBeGreaterThan(0)
  return id
}

async function choosePractice(page: Page): Promise<void> {
  const switcher = page.getByTestId('practice-switcher')
  if ((await switcher.inputValue()).endsWith(`(${practice})`)) return
  await switcher.click()
  await page.getByRole('option', { name: new RegExp(`\\(${practice}\\)$`) }).click()
}

test.beforeAll(async () => {
  serve = await startServe({ args: ['--config', CONFIG] })
  const l = serve.listeners.find((x) => x.kind === 'hl7-mllp')
  if (!l) throw new Error(`${CONFIG} opened no hl7-mllp listener:\n${serve.stdout.join('\n')}`)
  practice = l.practice
  mllpPort = l.port
  expect(mllpSend('good', adt(`G${RUN}`, GOOD_MRN, '19840412'))).toMatch(/MSA\|(AA|CA)/)
  // Four messages that fail the same way: a date of birth that is no date.
  BAD_MRNS.forEach((mrn, i) => mllpSend(`bad${i}`, adt(`B${RUN}${i}`, mrn, '19841304')))
})

test.afterAll(async () => {
  await serve?.stop()
})

test('finds a message by MRN and opens it in the inspector, PHI masked until revealed', async ({ page }) => {
  const id = await txId(GOOD_MRN)
  await openConsole(page, serve.url)
  await choosePractice(page)
  await go(page, 'Dashboard')
  await expect(page.getByTestId('stat-received')).not.toHaveText('0')
  await keepScreenshot(page, 'console-dashboard')

  await go(page, 'Transactions')
  await page.getByRole('textbox', { name: 'Search' }).fill(GOOD_MRN)
  const row = page.getByTestId(`tx-row-${id}`)
  await expect(row).toContainText(GOOD_MRN)
  await expect(page.getByTestId('tx-table').getByRole('row')).toHaveCount(2) // header + the one match
  await keepScreenshot(page, 'console-transactions')
  await row.click()

  await expect(page).toHaveURL(new RegExp(`#/transactions/${id}$`))
  await expect(page.getByRole('heading', { name: `Transaction #${id}` })).toBeVisible()
  const raw = page.getByTestId('stage-raw')
  await expect(raw.getByTestId('masked-PID-3')).toBeVisible() // identifiers are masked like names, in every tab
  await expect(raw.getByTestId('masked-PID-5')).toBeVisible()
  await expect(raw).not.toContainText('QUIRINUS')
  await raw.getByRole('button', { name: 'Reveal PID-5' }).click()
  await expect(raw.getByTestId('value-PID-5')).toHaveText('QUIRINUS^ANNA^M')
  await keepScreenshot(page, 'console-inspector')
  await page.getByRole('tab', { name: /Timeline/ }).click()
  await expect(page.getByTestId('attempt-1')).toContainText('parse: ok')
  await keepScreenshot(page, 'console-inspector-timeline')
  await page.getByRole('tab', { name: /Record changes/ }).click()
  await expect(page.getByTestId('record-diff').first()).toBeVisible()
  await expect(page.getByTestId('record-diff').first()).not.toContainText('QUIRINUS')
  await keepScreenshot(page, 'console-inspector-diff')

  // The permalink opens the same transaction in a fresh page.
  const again = await page.context().newPage()
  await again.goto(`${serve.origin}/#/transactions/${id}`)
  await expect(again.getByRole('heading', { name: `Transaction #${id}` })).toBeVisible()
  await again.close()
})

test('a failure appears in the error queue under its group; an edit with a preview reprocesses it to success', async ({ page }) => {
  for (const mrn of BAD_MRNS) await txId(mrn, 'error')
  await openConsole(page, serve.url)
  await choosePractice(page)
  await go(page, 'Error queue')
  const group = page.getByTestId('error-group').filter({ hasText: /date|birth|PID-7/i })
  await expect(group.getByTestId('group-count')).toHaveText('4')
  await group.click()
  const detail = page.getByTestId('group-detail')
  await expect(detail.getByTestId('group-transactions').locator('tbody tr')).toHaveCount(4)
  await keepScreenshot(page, 'console-error-queue')

  const fixId = await txId(BAD_MRNS[0]!, 'error')
  await detail.getByRole('button', { name: `Edit ${fixId}` }).click()
  const dialog = page.getByRole('dialog', { name: `Edit and reprocess #${fixId}` })
  const payload = dialog.getByTestId('edit-payload')
  await expect(payload).toHaveValue(/19841304/)
  await dialog.getByRole('button', { name: 'Preview' }).click()
  await expect(dialog.getByTestId('preview-error')).toBeVisible()
  await payload.fill((await payload.inputValue()).replace('19841304', '19840413'))
  await dialog.getByRole('button', { name: 'Preview' }).click()
  await expect(dialog.getByTestId('preview-ok')).toBeVisible()
  await dialog.getByRole('textbox', { name: /Reason for the edit/ }).fill('birth date typo, confirmed with the front desk')
  await keepScreenshot(page, 'console-edit-preview')
  await dialog.getByRole('button', { name: 'Save & reprocess' }).click()
  await expect(dialog).toBeHidden()
  await expect(group.getByTestId('group-count')).toHaveText('3')
  await expect.poll(() => serve.call<{ status: string }>('transactions.get', { id: fixId })).toMatchObject({ value: { status: 'done' } })
})

test('an alert rule on failures raises a notification in the console', async ({ page }) => {
  await openConsole(page, serve.url)
  await choosePractice(page)
  await go(page, 'Dashboard')
  await page.getByRole('button', { name: 'New rule' }).click()
  const dialog = page.getByRole('dialog', { name: 'New alert rule' })
  await dialog.getByRole('textbox', { name: 'Name' }).fill('ADT failures')
  await dialog.getByRole('textbox', { name: 'At least (failures)' }).fill('3')
  await dialog.getByRole('textbox', { name: 'Window (minutes)' }).fill('60')
  await dialog.getByRole('combobox', { name: 'Level' }).click()
  await page.getByRole('option', { name: 'error' }).click()
  await dialog.getByRole('button', { name: 'Save rule' }).click()
  await expect(dialog).toBeHidden()
  await page.getByRole('button', { name: 'Check now' }).click()
  // The toast (pushed by the engine as notifications.raised) and the bell's list.
  const toast = page.getByRole('alert').filter({ hasText: /3 failed transactions in the last 60 min/ })
  await expect(toast).toBeVisible()
  await keepScreenshot(page, 'console-alert-toast')
  // Close it like an operator would; toasts sit bottom right, clear of the header's bell.
  await toast.getByRole('button').click()
  await expect(toast).toBeHidden()
  await page.getByTestId('notification-bell').click()
  await expect(page.getByTestId('notification-list')).toContainText('ADT failures')
  await keepScreenshot(page, 'console-alert')
})

test('bulk reprocesses a group after confirming what goes where', async ({ page }) => {
  await openConsole(page, serve.url)
  await choosePractice(page)
  await go(page, 'Error queue')
  const group = page.getByTestId('error-group').filter({ hasText: /date|birth|PID-7/i })
  await group.click()
  await page.getByTestId('group-detail').getByRole('button', { name: /(Reprocess|Retry) group \(3\)/ }).click()
  const dialog = page.getByRole('dialog', { name: 'Reprocess' })
  const plan = dialog.getByTestId('bulk-plan')
  await expect(plan).toContainText('3 transactions')
  await expect(plan).toContainText(`Practice Studio records of practice "${practice}"`)
  await keepScreenshot(page, 'console-bulk-confirm')
  await dialog.getByRole('button', { name: 'Reprocess 3' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByText(/3 queued/)).toBeVisible()
  // The data is still wrong, so each failed again: a second attempt, back in the same group.
  for (const mrn of BAD_MRNS.slice(1)) {
    const id = await txId(mrn)
    await expect.poll(() => serve.call<{ attempts: number; status: string }>('transactions.get', { id })).toMatchObject({ value: { attempts: 2, status: 'error' } })
  }
})

test('discards a group with a required reason', async ({ page }) => {
  await openConsole(page, serve.url)
  await choosePractice(page)
  await go(page, 'Error queue')
  const group = page.getByTestId('error-group').filter({ hasText: /date|birth|PID-7/i })
  await group.click()
  await page.getByTestId('group-detail').getByRole('button', { name: 'Discard group' }).click()
  const dialog = page.getByRole('dialog', { name: 'Discard' })
  await expect(dialog.getByTestId('bulk-plan')).toContainText('3 transactions')
  const discard = dialog.getByRole('button', { name: 'Discard 3' })
  await expect(discard).toBeDisabled()
  await dialog.getByRole('textbox', { name: /Reason/ }).fill('test patients from the vendor; not real')
  await discard.click()
  await expect(dialog).toBeHidden()
  await expect(page.getByTestId('error-group').filter({ hasText: /date|birth|PID-7/i })).toHaveCount(0)
})

test('the audit trail shows each action', async ({ page }) => {
  const viewedId = await txId(GOOD_MRN)
  const fixedId = await txId(BAD_MRNS[0]!)
  const bulkId = await txId(BAD_MRNS[1]!)
  await openConsole(page, serve.url)
  await choosePractice(page)
  await go(page, 'Audit')
  const table = page.getByTestId('audit-table')
  const targetId = page.getByRole('textbox', { name: 'Target id' })
  const expectActions = async (id: number, actions: string[]) => {
    await targetId.fill(String(id))
    for (const action of actions) await expect(table.locator(`[data-action="${action}"]`).first()).toBeVisible()
  }
  // Opening and revealing in the inspector.
  await expectActions(viewedId, ['transaction.inspect', 'phi.reveal'])
  // Edit with preview: the editor's reveal, each preview, the edit itself.
  await expectActions(fixedId, ['phi.reveal', 'transaction.preview', 'transaction.edit'])
  await keepScreenshot(page, 'console-audit')
  // Bulk reprocess and discard of the group: per transaction, and one entry for the selection.
  await expectActions(bulkId, ['transaction.reprocess', 'transaction.discard'])
  await targetId.fill('')
  for (const action of ['errors.bulk_reprocess', 'errors.bulk_discard', 'alert_rule.create']) {
    await page.getByRole('combobox', { name: 'Action' }).fill(action)
    await expect(table.locator(`[data-action="${action}"]`).first()).toBeVisible()
  }
  await page.getByRole('button', { name: 'Verify chain' }).click()
  await expect(page.getByTestId('audit-verify-result')).toContainText('Intact')
})

test('connectivity runs every configured connection test and shows each step', async ({ page }) => {
  await openConsole(page, serve.url)
  await choosePractice(page)
  await go(page, 'Connectivity')
  await page.getByRole('button', { name: 'Test all connections' }).click()
  await expect(page.getByTestId('connection-result').first()).toBeVisible()
  await keepScreenshot(page, 'console-connectivity')
})
