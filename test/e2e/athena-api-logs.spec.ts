import { readFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { startServe } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'

test('API logs after a sandbox sync: filter by endpoint and outcome, usage against the quota, export', async ({ page }) => {
  const serve = await startServe()
  try {
    const ref = await serve.call<any>('athena.sync', { practiceId: 'sandbox', what: 'reference', mode: 'full', wait: true })
    expect(ref.ok && ref.value.status).toBe('done')
    const pat = await serve.call<any>('athena.sync', { practiceId: 'sandbox', what: 'patients', mode: 'full', wait: true })
    expect(pat.ok && pat.value).toMatchObject({ status: 'done', records: 500 })
    const search = await serve.call<any>('athena.searchPatients', { practiceId: 'sandbox', lastName: 'Nobody-Here' })
    expect(search.ok).toBe(true)

    await openConsole(page, serve.url)
    await go(page, 'API logs')
    await expect(page.getByTestId('usage-calls')).not.toHaveText('0')
    await expect(page.getByTestId('circuit-state')).toContainText('closed')
    await expect(page.getByTestId('api-log-row').first()).toBeVisible()

    await page.getByTestId('endpoint-filter').click()
    await page.getByRole('option', { name: '/v1/{practiceid}/patients', exact: true }).click()
    const rows = page.getByTestId('api-log-row')
    await expect(rows.first()).toContainText('/v1/{practiceid}/patients')
    const n = await rows.count()
    expect(n).toBeGreaterThanOrEqual(5)
    for (let i = 0; i < n; i++) await expect(rows.nth(i)).toContainText('/v1/{practiceid}/patients')
    // The name searched for never reached the log.
    await expect(page.getByTestId('api-log-table')).not.toContainText('Nobody-Here')
    await expect(page.getByTestId('api-log-table')).toContainText('lastname=*')
    await keepScreenshot(page, 'athena-api-logs')

    await page.getByRole('combobox', { name: 'Outcome' }).click()
    await page.getByRole('option', { name: 'Failed' }).click()
    await expect(page.getByTestId('api-log-empty')).toBeVisible()

    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Export CSV' }).click()
    const file = await download
    const text = readFileSync((await file.path())!, 'utf8')
    expect(text.split('\n')[0]).toBe('id,at,practiceId,method,endpoint,path,status,outcome,errorCode,errorMessage,latencyMs,attempt,requestId')
  } finally {
    await serve.stop()
  }
})
