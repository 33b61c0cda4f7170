/**
 * Accessibility and loading on every page: an axe-core check (WCAG 2.1 A/AA) in light and dark
 * mode with zero serious or critical violations; a skip-to-content link; focus kept after
 * navigation; the renderer loads per page (a page's code arrives when it is opened); a favicon.
 * The server runs the sandbox HL7 configuration and gets one message, so the inspector and the
 * error queue have something to show.
 */
import { expect, test, type Page } from '@playwright/test'
import { startServe, type ServeProcess } from '../support/serve-process'
import { axeBuilder, keepScreenshot, openConsole, openHash, setScheme } from './support/console'
import { sendRawFrame } from './support/mllp'

test.describe.configure({ mode: 'serial' })

let serve: ServeProcess
let practice: string
let txId: number
let badId: number

const RUN = Date.now().toString(36).toUpperCase()

function adt(control: string, mrn: string, dob: string): string {
  return [
    `MSH|^~\\&|EPIC|DOWNTOWN|PRACTICESTUDIO|SANDBOX|20261125080000-0500||ADT^A04^ADT_A01|${control}|P|2.5.1`,
    `EVN|A04|20261125080000`,
    `PID|1||${mrn}^^^MRN^MR||AXELSON^ANNA^M||${dob}|F|||12 ELM ST^^AUSTIN^TX^78701^US`,
    `PV1|1|O|CLINIC^101^^SANDBOX`,
  ].join('\r')
}

async function txFor(q: string): Promise<number> {
  let id = 0
  await expect
    .poll(async () => {
      const r = await serve.call<{ items: { id: number; status: string }[] }>('transactions.list', { practiceId: practice, q })
      id = r.ok ? (r.value.items.find((i) => i.status === 'done' || i.status === 'error')?.id ?? 0) : 0
      return id
    }, { timeout: 30_000 })
    .toBeGreaterThan(0)
  return id
}

test.beforeAll(async () => {
  serve = await startServe({ args: ['--config', 'docs/examples/sandbox-hl7.json'] })
  const l = serve.listeners.find((x) => x.kind === 'hl7-mllp')!
  practice = l.practice
  expect(await sendRawFrame(l.port, adt(`AX${RUN}`, `AX${RUN}`, '19840412'))).toMatch(/MSA\|(AA|CA)/)
  expect(await sendRawFrame(l.port, adt(`AY${RUN}`, `AY${RUN}`, '19841304'))).toMatch(/MSA\|(AA|CA|AE)/)
  txId = await txFor(`AX${RUN}`)
  badId = await txFor(`AY${RUN}`)
})

test.afterAll(async () => {
  await serve?.stop()
})

/** Every page, with what shows it has rendered. */
const PAGES: { name: string; hash: () => string; ready: (p: Page) => Promise<void> }[] = [
  { name: 'dashboard', hash: () => '/', ready: (p) => expect(p.getByTestId('dashboard-totals')).toBeVisible() },
  { name: 'transactions', hash: () => '/transactions', ready: (p) => expect(p.getByTestId('tx-table')).toBeVisible() },
  { name: 'inspector', hash: () => `/transactions/${txId}`, ready: (p) => expect(p.getByRole('heading', { name: `Transaction #${txId}` })).toBeVisible() },
  { name: 'error-queue', hash: () => '/errors', ready: (p) => expect(p.getByTestId('error-groups')).toBeVisible() },
  { name: 'mappings', hash: () => '/mappings', ready: (p) => expect(p.getByRole('heading', { name: 'Mappings' })).toBeVisible() },
  { name: 'mapping-editor', hash: () => '/mappings/hl7.adt.patient.in', ready: (p) => expect(p.getByRole('tab').first()).toBeVisible() },
  { name: 'connections', hash: () => '/connections', ready: (p) => expect(p.getByRole('heading', { name: 'Connections' })).toBeVisible() },
  { name: 'connectivity', hash: () => '/connectivity', ready: (p) => expect(p.getByRole('heading', { name: 'Connectivity' })).toBeVisible() },
  { name: 'api-logs', hash: () => '/api-logs', ready: (p) => expect(p.getByRole('heading', { name: 'API logs' })).toBeVisible() },
  { name: 'engine-log', hash: () => '/engine-log', ready: (p) => expect(p.getByRole('heading', { name: 'Engine log' })).toBeVisible() },
  { name: 'practices', hash: () => '/practices', ready: (p) => expect(p.getByRole('heading', { name: 'Practices' })).toBeVisible() },
  { name: 'audit', hash: () => '/audit', ready: (p) => expect(p.getByRole('heading', { name: 'Audit' })).toBeVisible() },
  { name: 'settings', hash: () => '/settings', ready: (p) => expect(p.getByTestId('settings-table')).toBeVisible() },
]

for (const scheme of ['light', 'dark'] as const) {
  test(`every page has no serious or critical WCAG 2.1 AA violation (${scheme})`, async ({ page }) => {
    // Thirteen pages through axe on a shared two-core machine.
    test.setTimeout(600_000)
    await openConsole(page, serve.url)
    const switcher = page.getByTestId('practice-switcher')
    if (!(await switcher.inputValue()).endsWith(`(${practice})`)) {
      await switcher.click()
      await page.getByRole('option', { name: new RegExp(`\\(${practice}\\)$`) }).click()
    }
    await setScheme(page, scheme)
    const report: string[] = []
    for (const p of PAGES) {
      await openHash(page, p.hash())
      await p.ready(page)
      // The page has rendered (ready above); let its first queries settle. The open event stream
      // and the FHIR sandbox's start-up (subscriptions created, each audited, each refreshing the
      // security banner) can keep the network from ever going idle, so this wait is bounded.
      await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined)
      if (p.name === 'error-queue') await page.getByTestId('error-group').first().click()
      const r = await (await axeBuilder(page)).analyze()
      for (const v of r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
        report.push(`${p.name}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`).join(' | ')}`)
      }
      await keepScreenshot(page, `a11y-${scheme}-${p.name}`)
    }
    expect(report, report.join('\n')).toEqual([])
  })
}

test('a skip link leads past the navigation, focus is kept after navigating, a favicon, and pages load on demand', async ({ page }) => {
  const scripts: string[] = []
  page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname))
  await openConsole(page, serve.url)
  await expect(page.locator('link[rel="icon"]')).toHaveAttribute('href', /favicon\.svg$/)
  const icon = await page.request.get(`${serve.origin}/favicon.svg`)
  expect(icon.status()).toBe(200)
  expect(icon.headers()['content-type']).toBe('image/svg+xml')

  // The first Tab reaches the skip link; Enter puts focus on the page's content.
  await page.keyboard.press('Tab')
  const skip = page.getByRole('link', { name: 'Skip to content' })
  await expect(skip).toBeFocused()
  await expect(skip).toBeInViewport()
  await page.keyboard.press('Enter')
  await expect(page.locator('#main-content')).toBeFocused()
  await expect(page).not.toHaveURL(/#main-content/)

  // The mapping studio's code is not loaded until the page is opened.
  expect(scripts.some((s) => /MappingsRoutes/.test(s))).toBe(false)
  await page.getByRole('navigation').getByRole('link', { name: 'Mappings', exact: true }).focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Mappings' })).toBeVisible()
  expect(scripts.some((s) => /MappingsRoutes/.test(s))).toBe(true)
  // Focus stayed on the link used.
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Mappings', exact: true })).toBeFocused()

  // A row that is not itself focusable opens a page: focus lands on the new page, not on nothing.
  await page.getByRole('navigation').getByRole('link', { name: 'Transactions', exact: true }).click()
  await page.getByTestId(`tx-row-${badId}`).locator('[role="cell"]').first().click()
  await expect(page.getByRole('heading', { name: `Transaction #${badId}` })).toBeVisible()
  await expect.poll(() => page.evaluate('document.activeElement?.id || document.activeElement?.tagName')).toBe('main-content')
  await keepScreenshot(page, 'a11y-focus-after-navigation')
})
