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

    // The table fits a 1440 px screen (the suite's viewport): nothing scrolls sideways.
    expect(page.viewportSize()).toEqual({ width: 1440, height: 900 })
    const noSideScroll = (sel: string) => page.locator(sel).first().evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }))
    const box = await noSideScroll('[data-testid="api-log-container"]')
    expect(box.scroll).toBeLessThanOrEqual(box.client)
    const doc = await noSideScroll('html')
    expect(doc.scroll).toBeLessThanOrEqual(doc.client)

    // A row opens to its request and response from the keyboard; PHI and the bearer are not there.
    // A page of the patient sync (the newest row is the empty search).
    const open = rows.filter({ hasNotText: 'lastname=' }).first().getByTestId('open-api-call')
    await open.focus()
    await page.keyboard.press('Enter')
    const drawer = page.getByTestId('api-call-drawer')
    await expect(drawer).toBeVisible()
    await expect(page.getByTestId('request-headers')).toContainText('authorization')
    await expect(page.getByTestId('request-headers')).toContainText('(not stored)')
    await expect(page.getByTestId('response-headers')).toContainText('content-type')
    const body = page.getByTestId('response-body')
    await expect(body).toContainText('"patientid"')
    await expect(body).toContainText('"firstname": "*"')
    await expect(body).toContainText('"dob": "*"')
    await expect(drawer).not.toContainText('Bearer')
    const inDrawer = await noSideScroll('.mantine-Drawer-body')
    expect(inDrawer.scroll).toBeLessThanOrEqual(inDrawer.client)
    await keepScreenshot(page, 'athena-api-call-drawer')
    await page.keyboard.press('Escape')
    await expect(drawer).toBeHidden()
    await expect(open).toBeFocused()
    const viewed = await serve.call<any>('audit.list', { action: 'athena.apilog.view_call' })
    expect(viewed.ok && viewed.value.length).toBe(1)

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
