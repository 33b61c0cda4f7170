/**
 * File locations in the console (issue #12): an FTPS location on a real vsftpd that requires a
 * client certificate and a local folder location are created, edited in their own forms (not the
 * HL7 one), tested step by step and deleted. Secrets typed in the forms (the FTPS password, the
 * client certificate's TLS key) go to the keychain: the console only ever learns that they are set.
 */
import { expect, test } from '@playwright/test'
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe, type ServeProcess } from '../support/serve-process'
import { startVsftpd, type VsftpdServer } from '../support/vsftpd-server'
import { go, keepScreenshot, openConsole } from './support/console'

test.describe.configure({ mode: 'serial' })

let serve: ServeProcess
let ftp: VsftpdServer

test.beforeAll(async () => {
  ftp = await startVsftpd({ requireClientCert: true })
  serve = await startServe()
})
test.afterAll(async () => {
  await serve?.stop()
  await ftp?.stop()
})

async function listed(): Promise<{ name: string; kind: string; config: Record<string, unknown>; secrets: Record<string, boolean> }[]> {
  const r = await serve.call<{ name: string; kind: string; config: Record<string, unknown>; secrets: Record<string, boolean> }[]>('connections.list', { practiceId: 'sandbox' })
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

test('an FTPS location is created, edited in the FTPS form with its client certificate, pinned, tested and deleted', async ({ page }) => {
  await openConsole(page, serve.url)
  await go(page, 'Connections')
  await page.getByRole('button', { name: 'New connection' }).click()
  await page.getByRole('menuitem', { name: 'FTPS location' }).click()
  let dialog = page.getByRole('dialog', { name: 'New FTPS location connection' })
  await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('partner-ftps')
  await dialog.getByRole('textbox', { name: 'Host', exact: true }).fill(ftp.host)
  await dialog.getByRole('textbox', { name: 'Port', exact: true }).fill(String(ftp.port))
  await dialog.getByRole('button', { name: 'Create connection' }).click()
  await expect(dialog).toBeHidden()
  const row = page.getByTestId('connection-row-partner-ftps')
  await expect(row.getByTestId('identity-badge')).toHaveText('certificate not pinned')

  // Editing opens the FTPS form with what is stored (the bug was the HL7 outbound form).
  await page.getByRole('button', { name: 'Edit partner-ftps' }).click()
  dialog = page.getByRole('dialog', { name: 'Edit FTPS location connection' })
  await expect(dialog.getByRole('textbox', { name: 'Host', exact: true })).toHaveValue(ftp.host)
  await expect(dialog.getByRole('textbox', { name: 'Username', exact: true })).toHaveValue('anonymous')
  await dialog.getByLabel('Password (not set)').fill('guest@example.org')
  await dialog.getByRole('textbox', { name: /Client certificate/ }).fill(ftp.client!.certPem)
  await expect(dialog.getByTestId('tls-key-state')).toHaveText('not set')
  await dialog.getByRole('textbox', { name: /TLS key of the client certificate/ }).fill(ftp.client!.keyPem)
  await keepScreenshot(page, 'files-ftps-form')
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(dialog).toBeHidden()

  // The keychain holds both secrets; the console is told only that they are set.
  const conn = (await listed()).find((c) => c.name === 'partner-ftps')!
  expect(conn.secrets).toMatchObject({ password: true, tls_key: true })
  expect(conn.config.clientCertPem).toContain('BEGIN CERTIFICATE')
  expect(JSON.stringify(await listed())).not.toContain('PRIVATE KEY')
  expect(JSON.stringify(await listed())).not.toContain('guest@example.org')

  // The certificate is accepted after comparing its fingerprint, then every step passes.
  await page.getByRole('button', { name: 'Check identity of partner-ftps' }).click()
  const id = page.getByRole('dialog', { name: /Server identity/ })
  await expect(id.getByTestId('presented-fingerprint')).toHaveText(ftp.fingerprint)
  await id.getByRole('button', { name: 'Accept this fingerprint' }).click()
  await expect(id.getByTestId('identity-accepted')).toContainText(ftp.fingerprint)
  await page.keyboard.press('Escape')
  await expect(row.getByTestId('identity-badge')).toHaveText('certificate pinned')
  await page.getByRole('button', { name: 'Test partner-ftps' }).click()
  const result = page.getByTestId('test-result-partner-ftps')
  await expect(result.getByTestId('test-verdict')).toHaveText('all steps passed', { timeout: 60_000 })
  await keepScreenshot(page, 'files-ftps-tested')

  // Edited again: the pin and the stored key are kept when the form leaves them alone.
  await page.getByRole('button', { name: 'Edit partner-ftps' }).click()
  dialog = page.getByRole('dialog', { name: 'Edit FTPS location connection' })
  await expect(dialog.getByTestId('tls-key-state')).toHaveText('set')
  await expect(dialog.getByText(ftp.fingerprint)).toBeVisible()
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(dialog).toBeHidden()
  await page.getByRole('button', { name: 'Test partner-ftps' }).click()
  await expect(result.getByTestId('test-verdict')).toHaveText('all steps passed', { timeout: 60_000 })

  page.once('dialog', (d) => void d.accept())
  await page.getByRole('button', { name: 'Delete partner-ftps' }).click()
  await expect(row).toHaveCount(0)
  expect((await listed()).some((c) => c.name === 'partner-ftps')).toBe(false)
})

test('a folder location is created, edited in the folder form, tested and deleted', async ({ page }) => {
  const first = mkdtempSync(join(tmpdir(), 'ps-e2e-drop-a-'))
  const second = mkdtempSync(join(tmpdir(), 'ps-e2e-drop-b-'))
  mkdirSync(join(second, 'inbox'))
  await openConsole(page, serve.url)
  await go(page, 'Connections')
  await page.getByRole('button', { name: 'New connection' }).click()
  await page.getByRole('menuitem', { name: 'Folder location' }).click()
  let dialog = page.getByRole('dialog', { name: 'New Folder location connection' })
  await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('shared-drive')
  // A relative path is refused with the field's own message.
  await dialog.getByRole('textbox', { name: 'Folder path' }).fill('drop')
  await dialog.getByRole('button', { name: 'Create connection' }).click()
  await expect(dialog.getByText('an absolute path')).toBeVisible()
  await dialog.getByRole('textbox', { name: 'Folder path' }).fill(first)
  await dialog.getByRole('button', { name: 'Create connection' }).click()
  await expect(dialog).toBeHidden()
  const row = page.getByTestId('connection-row-shared-drive')
  await expect(row.getByTestId('connection-target')).toHaveText(first)

  await page.getByRole('button', { name: 'Edit shared-drive' }).click()
  dialog = page.getByRole('dialog', { name: 'Edit Folder location connection' })
  await expect(dialog.getByRole('textbox', { name: 'Folder path' })).toHaveValue(first)
  await dialog.getByRole('textbox', { name: 'Folder path' }).fill(second)
  await dialog.getByRole('textbox', { name: 'Scratch folder' }).fill('inbox')
  await keepScreenshot(page, 'files-folder-form')
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(dialog).toBeHidden()
  await expect(row.getByTestId('connection-target')).toHaveText(second)

  await page.getByRole('button', { name: 'Test shared-drive' }).click()
  await expect(page.getByTestId('test-result-shared-drive').getByTestId('test-verdict')).toHaveText('all steps passed', { timeout: 60_000 })
  // The probe was written, renamed and deleted in the scratch folder: nothing is left behind.
  expect(readdirSync(join(second, 'inbox'))).toEqual([])

  page.once('dialog', (d) => void d.accept())
  await page.getByRole('button', { name: 'Delete shared-drive' }).click()
  await expect(row).toHaveCount(0)
})
