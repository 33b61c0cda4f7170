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
import { go, keepScreenshot, openConsole } from './support/console'

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
