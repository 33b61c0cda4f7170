/**
 * The operator console's pages on a fresh install (no traffic yet): each page opens and says what
 * it would show; saved searches and alert rules are kept by the engine across a restart and are
 * audited. Traffic itself is console-operator.spec.ts.
 */
import { expect, test } from '@playwright/test'
import { startServe, tempDataDir } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'

test('every console page opens on a fresh install; saved searches and alert rules survive a restart', async ({ page }) => {
  const dataDir = tempDataDir()
  let serve = await startServe({ dataDir })
  try {
    await openConsole(page, serve.url)

    await go(page, 'Dashboard')
    await expect(page.getByTestId('dashboard-totals')).toBeVisible()
    await expect(page.getByTestId('stat-received')).toHaveText('0')

    // An alert rule, kept by the engine (it fires in console-operator.spec.ts, where there is traffic).
    await page.getByRole('button', { name: 'New rule' }).click()
    const ruleDialog = page.getByRole('dialog', { name: 'New alert rule' })
    await ruleDialog.getByRole('textbox', { name: 'Name' }).fill('Backlog')
    await ruleDialog.getByRole('combobox', { name: 'When' }).click()
    await page.getByRole('option', { name: 'Backlog', exact: true }).click()
    await ruleDialog.getByRole('button', { name: 'Save rule' }).click()
    await expect(ruleDialog).toBeHidden()
    await expect(page.getByTestId('alert-rules')).toContainText('Backlog · ≥ 10 transactions waiting · on any interface')
    await keepScreenshot(page, 'console-dashboard-empty')

    await go(page, 'Transactions')
    await expect(page.getByTestId('tx-empty')).toBeVisible()
    await page.getByRole('combobox', { name: 'Status' }).click()
    await page.getByRole('option', { name: 'error' }).click()
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'Saved searches' }).click()
    await page.getByRole('menuitem', { name: 'Save current search…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Save search' })
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Failures')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await expect(dialog).toBeHidden()
    await keepScreenshot(page, 'console-transactions-empty')

    await go(page, 'Error queue')
    await expect(page.getByTestId('errors-empty')).toBeVisible()
    await keepScreenshot(page, 'console-error-queue-empty')

    await go(page, 'Connectivity')
    // Whatever connections a fresh install comes with (the built-in sandbox practice may have some), each gets tested.
    const cards = page.locator('[data-testid^="connection-"]:not([data-testid="connection-result"])')
    await expect(page.getByTestId('no-connections').or(cards.first())).toBeVisible()
    const n = await cards.count()
    if (n > 0) {
      await page.getByRole('button', { name: 'Test all connections' }).click()
      await expect(page.getByTestId('connection-result')).toHaveCount(n, { timeout: 60_000 })
    }
    await keepScreenshot(page, 'console-connectivity')

    await go(page, 'Audit')
    await expect(page.getByTestId('audit-table').locator('[data-action="alert_rule.create"]')).toHaveCount(1)
    await expect(page.getByTestId('audit-table').locator('[data-action="saved_search.create"]')).toHaveCount(1)
    await keepScreenshot(page, 'console-audit-empty')

    expect(await serve.stop()).toBe(0)
    serve = await startServe({ dataDir })
    await openConsole(page, serve.url)
    await go(page, 'Transactions')
    await page.getByRole('button', { name: 'Saved searches' }).click()
    await page.getByRole('menuitem', { name: 'Failures' }).click()
    await expect(page.getByTestId('tx-empty')).toBeVisible()
    await expect(page.getByRole('combobox', { name: 'Status' }).locator('xpath=..')).toContainText('error')

    await go(page, 'Dashboard')
    await expect(page.getByTestId('alert-rules')).toContainText('Backlog')
  } finally {
    await serve.stop()
  }
})
