import { expect, test } from '@playwright/test'
import { startServe, tempDataDir } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'

test('create a practice through the UI, restart the server, and find it again', async ({ page }) => {
  const dataDir = tempDataDir()
  let serve = await startServe({ dataDir })
  try {
    await openConsole(page, serve.url)
    await go(page, 'Practices')
    await expect(page.getByTestId('practice-row-sandbox')).toBeVisible()
    await keepScreenshot(page, 'practices')

    await page.getByRole('button', { name: 'New practice' }).click()
    const dialog = page.getByRole('dialog', { name: 'New practice' })
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('Downtown Health Group')
    await expect(dialog.getByRole('textbox', { name: /^Practice id/ })).toHaveValue('downtown-health-group')
    await dialog.getByRole('textbox', { name: /^athenaNet practice id/ }).fill('abc')
    await dialog.getByRole('button', { name: 'Create practice' }).click()
    // A typed, field-level error comes back from the engine and nothing is created.
    await expect(dialog.getByText('athenaNet practice ids are numeric')).toBeVisible()
    await dialog.getByRole('textbox', { name: /^athenaNet practice id/ }).fill('1959001')
    await dialog.getByRole('button', { name: 'Create practice' }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByTestId('practice-row-downtown-health-group')).toContainText('Downtown Health Group')
    await expect(page.getByTestId('practice-row-downtown-health-group')).toContainText('1959001')

    await go(page, 'Settings')
    await expect(page.getByTestId('data-dir')).toHaveText(dataDir)
    // The acknowledgment path runs on its own threads in the built server too.
    await expect(page.getByTestId('engine-ingest')).toContainText('ingest: running')
    await expect(page.getByTestId('engine-ingest')).toContainText('writer and mover on their own threads')
    await keepScreenshot(page, 'settings')

    expect(await serve.stop()).toBe(0)
    serve = await startServe({ dataDir })
    await openConsole(page, serve.url)
    await go(page, 'Practices')
    await expect(page.getByTestId('practice-row-downtown-health-group')).toContainText('Downtown Health Group')

    // The audit trail recorded the creation.
    const audit = await serve.call<{ action: string; targetId: string }[]>('audit.list', { action: 'practice.create' })
    expect(audit.ok && audit.value.some((e) => e.targetId === 'downtown-health-group')).toBe(true)

    // Delete asks for the id and says what goes with it.
    await page.getByRole('button', { name: 'Delete downtown-health-group' }).click()
    const del = page.getByRole('dialog')
    await expect(del.getByTestId('delete-usage')).toContainText('0 transactions')
    await expect(del.getByRole('button', { name: 'Delete practice' })).toBeDisabled()
    await del.getByTestId('delete-confirm').fill('downtown-health-group')
    await del.getByRole('button', { name: 'Delete practice' }).click()
    await expect(page.getByTestId('practice-row-downtown-health-group')).toHaveCount(0)
  } finally {
    await serve.stop()
  }
})
