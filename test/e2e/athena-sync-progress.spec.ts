/**
 * A full patient sync of a large practice from the Connections page: a deterministic 5,000-patient
 * sandbox (pages slowed by its latency fault, so the run lasts long enough to be seen) behind a
 * practice's athenaNet connection. While it runs the card shows a labelled progress bar, "N of
 * about M records" with M the sandbox's own total, and the time left; the card passes axe in light
 * and dark mode; then the sync finishes and the progress goes away.
 */
import { expect, test } from '@playwright/test'
import { startAthenaSandbox } from '../../electron/sandbox/athena'
import { startServe } from '../support/serve-process'
import { axeBuilder, go, keepScreenshot, openConsole, setScheme } from './support/console'

test('Connections: a large full sync shows records of the expected total, a progress bar and the time left, then finishes', async ({ page }) => {
  test.setTimeout(300_000)
  const sb = await startAthenaSandbox({ patientCount: 5000, seed: 5000, qps: 0, tokenRequestsPerMinute: 0 })
  const serve = await startServe()
  try {
    // The sandbox's own total: the sum of its departments' totalcount.
    const token = (await (
      await fetch(`${sb.url}/oauth2/v1/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'athena/service/Athenanet.MDP.*' }),
      })
    ).json()) as { access_token: string }
    let total = 0
    for (const d of [1, 21, 62, 150]) {
      const r = await fetch(`${sb.url}/v1/${sb.practiceId}/patients?departmentid=${d}&limit=1`, { headers: { Authorization: `Bearer ${token.access_token}` } })
      total += Number(((await r.json()) as { totalcount: number }).totalcount)
    }
    expect(total).toBeGreaterThanOrEqual(5000)

    const practice = await serve.call('practices.create', { id: 'bigclinic', name: 'Big Clinic', athenaPracticeId: String(sb.practiceId), environment: 'preview', timeZone: 'America/New_York' })
    expect(practice.ok).toBe(true)
    const conn = await serve.call<{ id: string }>('connections.create', {
      practiceId: 'bigclinic',
      kind: 'athena-rest',
      name: 'athena',
      config: { environment: 'preview', baseUrl: sb.url, clientId: sb.clientId, qps: 1000, tokenRequestsPerMinute: 50, pageSize: 20 },
    })
    if (!conn.ok) throw new Error(conn.error.message)
    expect((await serve.call('connections.setSecret', { id: conn.value.id, field: 'client_secret', value: sb.clientSecret })).ok).toBe(true)
    // 250 pages, two departments at a time (each fetching one page ahead), 300 ms each: about
    // 40 s of sync to watch, room for two axe runs on a busy machine.
    sb.setFaults({ latency: { fixedMs: 300 } })

    await openConsole(page, serve.url)
    const switcher = page.getByTestId('practice-switcher')
    await switcher.click()
    await page.getByRole('option', { name: /\(bigclinic\)$/ }).click()
    await go(page, 'Connections')
    const card = page.getByTestId('athena-sync')
    await card.getByRole('button', { name: 'Sync patients' }).click()
    await page.getByRole('menuitem', { name: /^Full sync/ }).click()

    await expect(card.getByTestId('sync-status-patients')).toHaveText('running')
    const bar = card.getByRole('progressbar', { name: 'Patients sync progress' })
    await expect(bar).toBeVisible()
    await expect(card.getByTestId('sync-count-patients')).toContainText(new RegExp(`[\\d,]+ of about ${total.toLocaleString('en-US')} records`))
    await expect(card.getByTestId('sync-eta-patients')).toHaveText(/^ · about \d+ (s|min) left$/)
    const percent = Number(await bar.getAttribute('aria-valuenow'))
    expect(percent).toBeGreaterThanOrEqual(0)
    expect(percent).toBeLessThan(100)

    for (const scheme of ['light', 'dark'] as const) {
      await setScheme(page, scheme)
      await expect(bar).toBeVisible()
      const axe = await (await axeBuilder(page)).include('[data-testid="athena-sync"]').analyze()
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([])
      await keepScreenshot(page, `athena-sync-progress-${scheme}`)
    }
    await setScheme(page, 'light')

    await expect(card.getByTestId('sync-status-patients')).toHaveText('done', { timeout: 240_000 })
    await expect(card.getByTestId('sync-progress-patients')).toHaveCount(0)
    const final = await serve.call<any>('athena.syncStatus', { practiceId: 'bigclinic' })
    expect(final.ok && final.value.streams.find((s: any) => s.stream === 'patients')).toMatchObject({ status: 'done', progress: null })
    const patients = final.ok && final.value.streams.find((s: any) => s.stream === 'patients')
    expect(patients.records + patients.duplicates).toBe(total)
  } finally {
    await serve.stop()
    await sb.close()
  }
})
