/**
 * Issue 16 as a person sees it: a message type the interface does not process is acknowledged,
 * listed in Transactions as filtered and absent from the error queue; an alert rule with an e-mail
 * channel set up in the console delivers a mail to a real SMTP server (smtp-server, STARTTLS with a
 * certificate made by openssl) with a link to the failing group; following that link (signed in on
 * another practice, and from a browser that is not signed in yet) opens the group with its practice
 * selected.
 */
import { expect, test } from '@playwright/test'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'
import { startServe, TEST_ADMIN } from '../support/serve-process'
import { go, keepScreenshot, openConsole, signInAs } from './support/console'
import { sendRawFrame } from './support/mllp'

const msg = (type: string, control: string, sex = 'F') =>
  `MSH|^~\\&|REGADT|RIVERSIDE|PS|CLINIC|20260601091500||${type}|${control}|P|2.5.1\rEVN|A02|20260601091500\rPID|1||E2E1^^^RIVERSIDE^MR||QUINTERO^ELENA||19870618|${sex}\rPV1|1|I|WARD^2\r`

test('a type the interface does not process is filtered, visible in Transactions and absent from Errors; an e-mail alert set up in the console arrives with a working link', async ({ page, browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-e2e-smtp-'))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' })
  expect(r.status, r.stderr).toBe(0)
  const mails: string[] = []
  const smtp = new SMTPServer({
    key: readFileSync(key),
    cert: readFileSync(cert),
    onAuth: (auth, _s, cb) => (auth.username === 'oncall-bot' && auth.password === 'mail-pass-123' ? cb(null, { user: auth.username }) : cb(new Error('bad credentials'))),
    onData(stream, _s, cb) {
      let text = ''
      stream.on('data', (c: Buffer) => (text += c.toString('utf8')))
      stream.on('end', () => (mails.push(text), cb()))
    },
    logger: false,
  })
  await new Promise<void>((res) => smtp.listen(0, '127.0.0.1', res))
  const smtpPort = (smtp.server.address() as AddressInfo).port
  const serve = await startServe({ args: ['--config', 'docs/examples/sandbox-hl7.json'] })
  try {
    const listener = serve.listeners.find((l) => l.kind === 'hl7-mllp' && l.practice === 'sandbox')!
    // A transfer (A02) is not processed here: acknowledged, not refused.
    expect(await sendRawFrame(listener.port, msg('ADT^A02', 'E2E-A02'))).toMatch(/MSA\|AA\|E2E-A02/)
    await openConsole(page, serve.url)
    await go(page, 'Transactions')
    const row = page.getByTestId('tx-table').getByRole('row').filter({ hasText: 'ADT^A02' })
    await expect(row).toBeVisible()
    await expect(row).toContainText('filtered')
    await keepScreenshot(page, 'feeds-filtered-type-in-transactions')
    await go(page, 'Error queue')
    await expect(page.getByTestId('errors-empty')).toBeVisible()

    // An e-mail channel, set up in the console.
    await go(page, 'Dashboard')
    await page.getByRole('button', { name: 'New channel' }).click()
    const dlg = page.getByRole('dialog', { name: 'New alert channel' })
    await dlg.getByLabel('Name', { exact: true }).fill('On-call mail')
    await dlg.getByLabel('SMTP server', { exact: true }).fill('127.0.0.1')
    await dlg.getByLabel('Port', { exact: true }).fill(String(smtpPort))
    await dlg.getByLabel('Username', { exact: true }).fill('oncall-bot')
    await dlg.getByLabel('Password', { exact: true }).fill('mail-pass-123')
    await dlg.getByLabel('From', { exact: true }).fill('console@clinic.example')
    await dlg.getByLabel('To', { exact: true }).fill('oncall@clinic.example')
    await dlg.getByLabel('To', { exact: true }).press('Enter')
    await dlg.getByLabel('CA certificate file', { exact: true }).fill(cert)
    await dlg.getByLabel('Console address for links', { exact: true }).fill(new URL(serve.url).origin + '/')
    await dlg.getByRole('button', { name: 'Save channel' }).click()
    await expect(page.getByTestId('alert-channels')).toContainText('On-call mail')
    await expect(page.getByTestId('alert-channels')).toContainText('password set')

    // A rule that sends failures to it.
    await page.getByRole('button', { name: 'New rule' }).click()
    const rd = page.getByRole('dialog', { name: 'New alert rule' })
    await rd.getByLabel('Name', { exact: true }).fill('Feed failing')
    await rd.getByLabel(/At least/).fill('1')
    await rd.getByText('Also send to', { exact: true }).click()
    await page.getByRole('option', { name: /On-call mail/ }).click()
    await rd.getByRole('button', { name: 'Save rule' }).click()
    await expect(page.getByTestId('alert-rules')).toContainText('Feed failing')
    await keepScreenshot(page, 'feeds-alert-rule-with-email')

    // A failure (a sex code the map does not know), then the check: the mail arrives.
    expect(await sendRawFrame(listener.port, msg('ADT^A08', 'E2E-BAD', 'Q'))).toMatch(/MSA\|AA\|E2E-BAD/)
    await expect.poll(async () => {
      const g = await serve.call<unknown[]>('errors.groups', { practiceId: 'sandbox' })
      return g.ok ? g.value.length : 0
    }).toBe(1)
    await page.getByRole('button', { name: 'Check now' }).click()
    await expect.poll(() => mails.length, { timeout: 30_000 }).toBe(1)
    expect(mails[0]).toMatch(/Subject: \[Practice Studio\] Warning: Feed failing/)
    const link = /Open in the console: (\S+)/.exec(mails[0]!.replace(/=\r?\n/g, '').replace(/=3D/g, '='))![1]!
    const url = new URL(link)
    expect(url.hash).toBe('#/errors')
    expect(url.searchParams.get('practiceId')).toBe('sandbox')
    const [group] = ((await serve.call<{ group: string }[]>('errors.groups', { practiceId: 'sandbox' })) as { ok: true; value: { group: string }[] }).value
    expect(url.searchParams.get('group')).toBe(group!.group)

    // Follow it while the console is on another practice: the link selects its practice and opens the group.
    expect((await serve.call('practices.create', { id: 'northside', name: 'Northside Clinic' })).ok).toBe(true)
    const switcher = page.getByTestId('practice-switcher')
    await switcher.click()
    await page.getByRole('option', { name: 'Northside Clinic (northside)' }).click()
    await expect(switcher).toHaveValue('Northside Clinic (northside)')
    await page.goto(link)
    await expect(switcher).toHaveValue('Sandbox Practice (sandbox)')
    await expect(page.getByTestId('group-detail')).toContainText('ctl E2E-BAD')
    // The link's query is used once: the address is the plain Errors page again.
    await expect(page).toHaveURL(`${url.origin}/#/errors`)
    await keepScreenshot(page, 'feeds-alert-link-opens-group')

    // From a browser that is not signed in: the sign-in page, then the same group.
    const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    try {
      const other = await fresh.newPage()
      await other.goto(link)
      await signInAs(other, TEST_ADMIN)
      await expect(other.getByTestId('practice-switcher')).toHaveValue('Sandbox Practice (sandbox)')
      await expect(other.getByTestId('group-detail')).toContainText('ctl E2E-BAD')
    } finally {
      await fresh.close()
    }
  } finally {
    await serve.stop()
    await new Promise<void>((res) => smtp.close(() => res()))
  }
})
