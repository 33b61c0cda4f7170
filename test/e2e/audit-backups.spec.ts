/**
 * Issue #17 items 1 and 6 as the operator sees them: the audit trail of a stopped server is edited
 * with the database key; at the next start every page shows the red security banner (and the bell
 * has it) until a person acknowledges it, and Settings says the trail is broken. An on-demand
 * backup is started from Settings and listed; the data folder's size is on Settings and the
 * dashboard.
 */
import { expect, test } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createFileStore, parseMasterKey } from '../../electron/engine/secrets/file-store'
import { openDatabase } from '../../electron/engine/store/database'
import { startServe, tempDataDir } from '../support/serve-process'
import { go, keepScreenshot, openConsole, openHash } from './support/console'

async function editAuditRow(dataDir: string): Promise<void> {
  const store = createFileStore({ file: join(dataDir, 'secrets.enc'), masterKey: parseMasterKey(readFileSync(join(dataDir, 'master.key'), 'utf8')), location: 'e2e' })
  const db = openDatabase({ file: join(dataDir, 'practice-studio.db'), keyHex: (await store.get('db-key'))! })
  try {
    db.exec('DROP TRIGGER audit_no_update')
    db.prepare("UPDATE audit_log SET actor = 'mallory@elsewhere' WHERE seq = 1").run()
  } finally {
    db.close()
  }
}

/** A finished HL7 transaction received 40 days ago, written while the server is stopped. */
async function addOldTransaction(dataDir: string, practiceId: string): Promise<number> {
  const store = createFileStore({ file: join(dataDir, 'secrets.enc'), masterKey: parseMasterKey(readFileSync(join(dataDir, 'master.key'), 'utf8')), location: 'e2e' })
  const db = openDatabase({ file: join(dataDir, 'practice-studio.db'), keyHex: (await store.get('db-key'))! })
  try {
    const at = Date.now() - 40 * 86_400_000
    const raw = Buffer.from('MSH|^~\\&|LAB|NORTH|PS|PS|20260101||ADT^A08|OLD-1|P|2.5.1\rPID|1||MRN-OLD||OLDPAYLOAD^PATIENT\r')
    const id = Number(
      db.prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, message_type, status, received_at, updated_at, content_type, raw, raw_sha256, control_id)
        VALUES (?, 'hl7', 'adt-in', 'in', 'ADT^A08', 'done', ?, ?, 'hl7v2', x'', 'e2e', 'OLD-1')`).run(practiceId, at, at).lastInsertRowid,
    )
    db.prepare('INSERT INTO transaction_raw (tx_id, raw) VALUES (?, ?)').run(id, raw)
    return id
  } finally {
    db.close()
  }
}

test('a raw payload removed by retention: the inspector says when and by which rule, and reprocess and edit are disabled', async ({ page }) => {
  const dataDir = tempDataDir()
  let serve = await startServe({ dataDir, args: ['--secret-store', 'file'] })
  expect((await serve.call('practices.create', { id: 'northside', name: 'Northside Clinic' })).ok).toBe(true)
  await serve.stop()
  const id = await addOldTransaction(dataDir, 'northside')
  serve = await startServe({ dataDir, args: ['--secret-store', 'file'] })
  try {
    expect((await serve.call('practices.update', { id: 'northside', settings: { retention: { rawPayloadDays: 30 } } })).ok).toBe(true)
    const run = await serve.call<{ payloadsPruned: number }>('retention.pruneNow')
    expect(run.ok && run.value.payloadsPruned).toBe(1)
    await openConsole(page, serve.url)
    await openHash(page, `#/transactions/${id}`)
    const notice = page.getByTestId('payload-pruned')
    await expect(notice).toContainText('Raw payload removed by retention on')
    await expect(notice).toContainText("metadata kept: raw payloads are kept 30 days (the practice's retention rule)")
    // In the transaction's own practice (elsewhere every action is locked), only the pruned payload disables them.
    await page.getByRole('button', { name: 'Switch to Northside Clinic' }).click()
    await expect(page.getByRole('button', { name: 'Discard', exact: true })).toBeEnabled()
    await expect(page.getByRole('button', { name: 'Reprocess', exact: true })).toBeDisabled()
    await expect(page.getByRole('button', { name: 'Edit & reprocess', exact: true })).toBeDisabled()
    await expect(page.getByText('OLDPAYLOAD')).toHaveCount(0)
  } finally {
    await serve.stop()
  }
})

test('a tampered audit trail raises a banner that stays until acknowledged; a backup is taken and listed', async ({ page }) => {
  const dataDir = tempDataDir()
  let serve = await startServe({ dataDir, args: ['--secret-store', 'file'] })
  await serve.stop()
  await editAuditRow(dataDir)
  serve = await startServe({ dataDir, args: ['--secret-store', 'file'] })
  try {
    await openConsole(page, serve.url)
    const banner = page.getByTestId('security-banner')
    await expect(banner).toBeVisible()
    await expect(banner).toContainText('The audit trail failed verification')
    await expect(banner).toContainText('row content changed')
    await go(page, 'Transactions')
    await expect(page.getByTestId('security-banner')).toBeVisible()
    await page.getByTestId('notification-bell').click()
    await expect(page.getByRole('dialog').getByText('The audit trail failed verification')).toBeVisible()
    await page.getByRole('button', { name: 'Mark all read' }).click()
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('security-banner')).toBeVisible() // reading the bell does not close it

    await go(page, 'Settings')
    await expect(page.getByTestId('audit-state')).toContainText('BROKEN')
    await keepScreenshot(page, 'audit-tamper-banner')

    await page.getByTestId('security-acknowledge').click()
    await page.getByLabel('Note (optional)').fill('investigated, ticket 4411')
    await page.getByRole('button', { name: 'Acknowledge', exact: true }).click()
    await expect(page.getByTestId('security-banner')).toHaveCount(0)
    await expect(page.getByTestId('audit-state')).toContainText('BROKEN') // acknowledged is not repaired

    // Backups: on demand, then listed; the data folder's size includes it.
    await expect(page.getByTestId('data-folder-size')).toBeVisible()
    await expect(page.getByTestId('backup-row')).toHaveCount(0)
    await page.getByTestId('backup-now').click()
    await expect(page.getByTestId('backup-row')).toHaveCount(1, { timeout: 30_000 })
    await expect(page.getByTestId('backup-row').first()).toContainText(/practice-studio-\d{8}T\d{9}Z\.psbackup/)
    await expect(page.getByTestId('data-folder-backups')).not.toContainText(/^Backups0 B$/)
    await keepScreenshot(page, 'backups-listed')
    await go(page, 'Dashboard')
    await expect(page.getByTestId('data-folder-total')).toBeVisible()

    const audit = await serve.call<{ action: string }[]>('audit.list', { limit: 50 })
    expect(audit.ok && audit.value.map((e) => e.action)).toEqual(expect.arrayContaining(['security_alert.raise', 'security_alert.acknowledge', 'backup.create']))
  } finally {
    await serve.stop()
  }
})

test('after an investigated break, accepting it (with a reason) closes the banner and the trail verifies again', async ({ page }) => {
  const dataDir = tempDataDir()
  let serve = await startServe({ dataDir, args: ['--secret-store', 'file'] })
  await serve.stop()
  await editAuditRow(dataDir)
  serve = await startServe({ dataDir, args: ['--secret-store', 'file'] })
  try {
    await openConsole(page, serve.url)
    await expect(page.getByTestId('security-banner')).toBeVisible()
    await go(page, 'Settings')
    await expect(page.getByTestId('audit-state')).toContainText('BROKEN')
    await page.getByTestId('audit-accept-break').click()
    const confirm = page.getByTestId('audit-accept-break-confirm')
    await page.getByTestId('audit-accept-break-reason').fill('short')
    await expect(confirm).toBeDisabled() // a reason of at least 10 characters is required
    await page.getByTestId('audit-accept-break-reason').fill('edit traced to IT ticket 4411')
    await confirm.click()
    await expect(page.getByTestId('security-banner')).toHaveCount(0)
    await expect(page.getByTestId('audit-state')).toContainText('verifies')
    await expect(page.getByTestId('audit-state')).toContainText('checkpoint series since entry')
    await expect(page.getByTestId('audit-accept-break')).toHaveCount(0)

    const accepted = await serve.call<{ action: string; details: { reason: string; firstBrokenSeq: number } }[]>('audit.list', { action: 'audit.break_accepted' })
    expect(accepted.ok && accepted.value.map((e) => e.details)).toEqual([expect.objectContaining({ reason: 'edit traced to IT ticket 4411', firstBrokenSeq: 1 })])
    const verify = await serve.call<{ ok: boolean }>('audit.verify')
    expect(verify.ok && verify.value.ok).toBe(true)
  } finally {
    await serve.stop()
  }
})
