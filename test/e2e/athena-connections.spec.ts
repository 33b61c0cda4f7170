import { expect, test } from '@playwright/test'
import { startServe } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'

test('Connections: enter athenaNet credentials (write-only), run the connectivity test, start a sync', async ({ page }) => {
  const serve = await startServe()
  try {
    // The built-in sandbox practice runs the local athenaNet sandbox in-process.
    expect(serve.listeners.some((l) => l.kind === 'athena-sandbox' && l.practice === 'sandbox' && l.host === '127.0.0.1')).toBe(true)
    await openConsole(page, serve.url)
    await go(page, 'Connections')
    const seeded = page.getByTestId('connection-row-athena')
    await expect(seeded).toContainText('sandbox-client')
    await expect(seeded.getByTestId('secret-badge')).toHaveText('secret set')

    // A new connection with a wrong secret: the token step fails, as data.
    await page.getByRole('button', { name: 'New connection' }).click()
    await page.getByRole('menuitem', { name: 'athenaNet REST' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Name').fill('athena-2')
    await dialog.getByRole('combobox', { name: 'Environment' }).click()
    await page.getByRole('option', { name: 'Local sandbox (in-process)' }).click()
    await dialog.getByLabel('Client id').fill('sandbox-client')
    await expect(dialog.getByTestId('secret-state')).toHaveText('not set')
    await dialog.getByLabel(/Client secret/).fill('not-the-secret')
    await dialog.getByRole('button', { name: 'Create connection' }).click()
    await expect(dialog).toBeHidden()
    const row = page.getByTestId('connection-row-athena-2')
    await expect(row.getByTestId('secret-badge')).toHaveText('secret set')

    await page.getByRole('button', { name: 'Test athena-2' }).click()
    const failed = page.getByTestId('test-result-athena-2')
    await expect(failed.getByTestId('test-verdict')).toHaveText('failed')
    await expect(failed.getByTestId('step-token')).toContainText('auth_failed')
    await expect(failed.getByTestId('step-tls')).toContainText('not applicable: http (local sandbox)')

    // The secret never comes back: the form only says it is set.
    await page.getByRole('button', { name: 'Edit athena-2' }).click()
    await expect(dialog.getByTestId('secret-state')).toHaveText('set')
    await expect(dialog.getByLabel(/Client secret/)).toHaveValue('')
    await dialog.getByLabel(/Client secret/).fill('sandbox-secret-195900-local-only')
    await dialog.getByRole('switch', { name: 'Push Practice Studio appointment changes to athenaNet' }).click({ force: true })
    await dialog.getByRole('button', { name: 'Save' }).click()
    await expect(dialog).toBeHidden()
    const list = await serve.call<any[]>('connections.list', { practiceId: 'sandbox' })
    expect(list.ok && JSON.stringify(list.value)).not.toContain('sandbox-secret-195900-local-only')
    expect(list.ok && list.value.find((c: any) => c.name === 'athena-2').config.pushAppointmentChanges).toBe(true)

    await page.getByRole('button', { name: 'Test athena-2' }).click()
    const passed = page.getByTestId('test-result-athena-2')
    await expect(passed.getByTestId('test-verdict')).toHaveText('all steps passed')
    for (const step of ['dns', 'tls', 'token', 'ping']) await expect(passed.getByTestId(`step-${step}`)).toContainText('ok')
    await expect(passed.getByTestId('step-ping')).toContainText(/\d+(\.\d)? ms/)
    await keepScreenshot(page, 'athena-connections')

    // Disable / enable from the table.
    await page.getByRole('switch', { name: 'Enable athena-2' }).click({ force: true })
    await expect(page.getByRole('button', { name: 'Test athena-2' })).toBeDisabled()

    // Start a reference-data sync from the sync card and watch it finish.
    const card = page.getByTestId('athena-sync')
    await card.getByRole('button', { name: 'Sync reference' }).click()
    await expect(card.getByTestId('sync-status-reference')).toHaveText('done', { timeout: 60_000 })
    await keepScreenshot(page, 'athena-sync')

    const audit = await serve.call<{ action: string }[]>('audit.list', { practiceId: 'sandbox' })
    expect(audit.ok && audit.value.map((e) => e.action)).toEqual(expect.arrayContaining(['connection.secret.set', 'connection.test', 'athena.sync']))
  } finally {
    await serve.stop()
  }
})
