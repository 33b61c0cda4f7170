/**
 * The daily demographics import in the console (issue #12), over SFTP to a real OpenSSH sshd on
 * loopback: a daily demographics job set up in the File jobs card runs; the Patient imports page
 * shows each file's report (created, a row rejected with its line number, a change held for
 * review, a possible duplicate); the held change is accepted, the duplicate merged, and both
 * decisions are in the audit trail.
 */
import { expect, test, type Page } from '@playwright/test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startServe, type ServeProcess } from '../support/serve-process'
import { startSshd, type SshdServer } from '../support/sshd-server'
import { axe, go, keepScreenshot, must, openConsole } from './support/console'

test.describe.configure({ mode: 'serial' })

const P = 'sandbox'
const HEADER = 'PatientID,FirstName,LastName,DOB,Gender,Address1,Address2,City,State,Zip,Phone,Email,InsuranceProvider,MemberID,GroupNumber'
const row = (id: string, first: string, last: string, dob: string, addr: string, phone: string) => `${id},${first},${last},${dob},F,${addr},,Springfield,IL,62704,${phone},,Acme,M-${id},G1`
const csv = (rows: string[]) => [HEADER, ...rows].join('\r\n') + '\r\n'

let serve: ServeProcess
let sshd: SshdServer

async function runJob(page: Page): Promise<void> {
  await go(page, 'Connections')
  const job = page.getByTestId('file-job-daily-demographics')
  await job.getByRole('button', { name: 'Run daily-demographics now' }).click()
  await expect(job.getByTestId('last-run-status')).toHaveText('ok', { timeout: 60_000 })
}

test.beforeAll(async () => {
  test.setTimeout(120_000)
  sshd = await startSshd()
  sshd.mkdir('inbox')
  serve = await startServe()
  // The SFTP location (its console form and fingerprint dialog are covered by files-billing-appointments).
  const conn = await must(serve.call<{ id: string }>('connections.create', { practiceId: P, kind: 'sftp', name: 'registration-sftp', config: { host: sshd.host, port: sshd.port, username: sshd.username, auth: 'key', hostKeySha256: sshd.fingerprint } }))
  await must(serve.call('connections.setSecret', { id: conn.id, field: 'private_key', value: sshd.clientKey }))
})

test.afterAll(async () => {
  await serve?.stop()
  await sshd?.stop()
})

test('a daily demographics job over SFTP: report with line numbers, a held change accepted, a duplicate merged, all audited', async ({ page }) => {
  await openConsole(page, serve.url)
  await go(page, 'Connections')
  // The daily job, set up in the console: every morning at 06:00 in the practice's time zone.
  await page.getByTestId('file-jobs').getByRole('button', { name: 'New file job' }).click()
  const form = page.getByRole('dialog', { name: 'New file job' })
  await form.getByRole('combobox', { name: 'Kind' }).click()
  await page.getByRole('option', { name: 'Patient demographics (daily import)' }).click()
  await form.getByRole('textbox', { name: 'Name', exact: true }).fill('daily-demographics')
  await form.getByLabel(/^Folder/).fill('inbox')
  await form.getByLabel('Minimum file age (s)').fill('0')
  await form.getByLabel('Schedule (cron, practice time zone)').fill('0 6 * * *')
  await form.getByRole('button', { name: 'Create job' }).click()
  await expect(form).toBeHidden()
  const job = page.getByTestId('file-job-daily-demographics')
  await expect(job).toContainText('0 6 * * *')

  // Day 1: two new patients and a row whose date of birth is not a date (line 4).
  writeFileSync(join(sshd.root, 'inbox', 'patients-day1.csv'), csv([row('A1', 'Maria', 'Lopez', '03/14/1982', '12 Elm Street', '(217) 255-0142'), row('A2', 'Grace', 'Hopper', '12/09/1946', '40 Birch Lane', '(217) 255-0177'), row('A3', 'Alan', 'Turing', '31/31/1912', '1 Park Road', '(217) 255-0100')]))
  await runJob(page)
  await go(page, 'Patient imports')
  await page.getByRole('button', { name: 'Report of patients-day1.csv' }).click()
  const report = page.getByTestId('file-report')
  await expect(report.getByTestId('count-created')).toHaveText('2 created')
  await expect(report.getByTestId('count-rejected')).toHaveText('1 rejected')
  const bad = report.getByTestId('report-line-4')
  await expect(bad).toContainText('rejected')
  await expect(bad).toContainText('date_of_birth: not a valid calendar date')
  await keepScreenshot(page, 'files-demographics-report-day1')

  // Day 2: Maria's married name (last name goes to review), and "Gracie Hopper" born the same day under a new id.
  writeFileSync(join(sshd.root, 'inbox', 'patients-day2.csv'), csv([row('A1', 'Maria', 'Lopez-Garcia', '03/14/1982', '12 Elm Street', '(217) 255-0142'), row('B9', 'Gracie', 'Hopper', '12/09/1946', '77 Pine Road', '(217) 255-0199')]))
  await runJob(page)
  await go(page, 'Patient imports')
  await page.getByRole('button', { name: 'Report of patients-day2.csv' }).click()
  await expect(report.getByTestId('count-held')).toHaveText('1 held')
  await expect(report.getByTestId('count-duplicate')).toHaveText('1 duplicate')
  await expect(report.getByTestId('report-line-2')).toContainText('held: last_name')
  await expect(report.getByTestId('report-line-3')).toContainText('B9')

  // The held change: stored value and the file's, accepted.
  await page.getByRole('tab', { name: 'Held changes' }).click()
  const held = page.getByTestId('held-changes').getByRole('row').filter({ hasText: 'last_name' })
  await expect(held).toHaveCount(1)
  await expect(held.getByTestId('held-old')).toHaveText('Lopez')
  await expect(held.getByTestId('held-new')).toHaveText('Lopez-Garcia')
  await expect(held).toContainText('line 2')
  await expect(held).toContainText('Lopez, Maria')
  expect(await axe(page)).toEqual([])
  await keepScreenshot(page, 'files-demographics-held')
  await held.getByRole('button', { name: /^Accept last_name/ }).click()
  await expect(page.getByTestId('no-held-changes')).toBeVisible()

  // The possible duplicate, side by side with the score's reasons; merged into the first record.
  await page.getByRole('tab', { name: 'Possible duplicates' }).click()
  const pair = page.locator('[data-testid^="pair-"]').filter({ has: page.getByTestId('b-first_name').getByText('Gracie', { exact: true }) }).or(page.locator('[data-testid^="pair-"]').filter({ has: page.getByTestId('a-first_name').getByText('Gracie', { exact: true }) }))
  await expect(pair).toHaveCount(1)
  await expect(pair.getByTestId('pair-reasons')).toContainText('dob')
  await expect(pair.getByTestId('pair-grade')).toContainText(/probable|possible/)
  expect(await axe(page)).toEqual([])
  await keepScreenshot(page, 'files-demographics-duplicate')
  await pair.getByRole('button', { name: /^Merge into record/ }).click()
  await expect(page.getByTestId('no-duplicates')).toBeVisible()
  const merged = await must(serve.call<{ status: string; decidedBy: string | null }[]>('matching.worklist', { practiceId: P, status: 'merged' }))
  expect(merged).toHaveLength(1)
  const accepted = await must(serve.call<{ field: string; newValue: unknown }[]>('files.changes', { practiceId: P, status: 'accepted' }))
  expect(accepted.map((c) => [c.field, c.newValue])).toEqual([['last_name', 'Lopez-Garcia']])

  // Both decisions are in the audit trail.
  await go(page, 'Audit')
  for (const action of ['files.changes.accept', 'matching.merge']) {
    await page.getByRole('combobox', { name: 'Action' }).fill(action)
    await page.keyboard.press('Escape')
    await expect(page.locator(`[data-action="${action}"]`)).toHaveCount(1)
  }
  await keepScreenshot(page, 'files-demographics-audit')
})
