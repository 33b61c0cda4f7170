/**
 * The HL7 interfaces as an operator watches them on the Connections page: the sandbox listener
 * (docs/examples/sandbox-hl7.json) counting what Debian's mllp_send delivers, a duplicate and a
 * malformed frame shown for what they are; an outbound destination created in the console and
 * proved with a test message against python3-hl7's MLLP server, then seen failing once that peer
 * is gone.
 */
import { expect, test } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startPyServer } from '../support/py-mllp-server'
import { startServe } from '../support/serve-process'
import { CORPUS_ROOT } from '../support/corpus-dir'
import { go, keepScreenshot, openConsole } from './support/console'
import { sendRawFrame } from './support/mllp'

const SAMPLE = resolve(CORPUS_ROOT, 'hl7/ADT_A04/oie-engine__05.hl7')

test('HL7 interfaces: a listener counts what arrives, a destination answers a test message and then fails it', async ({ page }) => {
  const serve = await startServe({ args: ['--config', 'docs/examples/sandbox-hl7.json'] })
  const peer = await startPyServer()
  try {
    const listener = serve.listeners.find((l) => l.kind === 'hl7-mllp' && l.practice === 'sandbox')!
    expect(listener, `the sandbox listener (stdout: ${serve.stdout.join(' | ')})`).toBeDefined()

    await openConsole(page, serve.url)
    await go(page, 'Connections')
    const row = page.getByTestId('hl7-listeners').getByTestId(`listener-${listener.name}`)
    await expect(row.getByTestId('listener-state')).toHaveText('listening')
    await expect(row.getByTestId('listener-address')).toHaveText(`127.0.0.1:${listener.port}`)
    await expect(row.getByTestId('listener-received')).toHaveText('0')
    await expect(row.getByTestId('listener-problems')).toHaveText('none')

    // A real sender: the corpus message, then the same one again (a resend).
    for (let i = 0; i < 2; i++) {
      const out = execFileSync('/usr/bin/mllp_send', ['--loose', '-p', String(listener.port), '-f', SAMPLE, '127.0.0.1'], { encoding: 'utf8', timeout: 30_000 })
      expect(out).toMatch(/MSA\|(AA|CA)\|/)
    }
    await expect(row.getByTestId('listener-received')).toHaveText('2')
    await expect(row.getByTestId('listener-accepted')).toHaveText('1')
    await expect(row.getByTestId('listener-duplicates')).toHaveText('1')

    // A frame with no MSH is refused and shown as a problem, not hidden.
    expect(await sendRawFrame(listener.port, 'THIS IS NOT HL7\r')).toMatch(/MSA\|A[RE]\|/)
    await expect(row.getByTestId('listener-received')).toHaveText('3')
    await expect(row.getByTestId('listener-problems')).toContainText('1 refused (AE/AR)')

    // Processing paused: the message is still received, acknowledged and stored, and waits.
    await page.getByTestId('hl7-processing-switch').click()
    await expect(page.getByTestId('hl7-processing-paused')).toBeVisible()
    const held = join(mkdtempSync(join(tmpdir(), 'ps-e2e-held-')), 'held.hl7')
    writeFileSync(held, readFileSync(SAMPLE, 'latin1').replace(/^(MSH(?:\|[^|\r\n]*){8})\|[^|\r\n]*/m, '$1|HELD-1'), 'latin1')
    expect(execFileSync('/usr/bin/mllp_send', ['--loose', '-p', String(listener.port), '-f', held, '127.0.0.1'], { encoding: 'utf8', timeout: 30_000 })).toMatch(/MSA\|AA\|HELD-1/)
    await expect(row.getByTestId('listener-accepted')).toHaveText('2')
    const statusOf = async () => {
      const r = await serve.call<{ items: { controlId: string | null; status: string }[] }>('transactions.list', { practiceId: 'sandbox', q: 'HELD-1' })
      return r.ok ? (r.value.items.find((i) => i.controlId === 'HELD-1')?.status ?? '') : ''
    }
    await expect.poll(statusOf, { timeout: 15_000 }).toBe('received')
    // Still waiting a moment later (unpaused, processing takes milliseconds).
    await page.waitForTimeout(1500)
    expect(await statusOf()).toBe('received')
    await page.getByTestId('hl7-processing-switch').click()
    await expect(page.getByTestId('hl7-processing-paused')).toHaveCount(0)
    await expect.poll(statusOf, { timeout: 30_000 }).toBe('done')

    // The engine log tells the same story, as records without message content.
    await go(page, 'Engine log')
    await page.getByRole('combobox', { name: 'Component' }).click()
    await page.getByRole('option', { name: 'hl7-listener', exact: true }).click()
    const log = page.getByTestId('engine-log')
    await expect(log.getByTestId('log-row').filter({ hasText: 'duplicate message; answering with the original acknowledgment' })).toHaveCount(1)
    await expect(log.getByTestId('log-row').filter({ hasText: 'peer connected' }).first()).toContainText(`interface=${listener.name}`)
    await expect(log).not.toContainText('MOUSE')
    await keepScreenshot(page, 'engine-log')
    await page.getByRole('textbox', { name: 'Search the log' }).fill('no such thing in the log')
    await expect(page.getByTestId('log-empty')).toBeVisible()
    await go(page, 'Connections')

    // An outbound destination, created in the console, pointing at python3-hl7's server.
    await expect(page.getByTestId('hl7-destinations')).toHaveCount(0)
    await page.getByRole('button', { name: 'New connection' }).click()
    await page.getByRole('menuitem', { name: 'HL7 outbound destination' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Name').fill('lab-out')
    await expect(dialog.getByLabel('Host')).toHaveValue('127.0.0.1')
    await dialog.getByLabel('Port').fill(String(peer.port))
    await dialog.getByLabel('Receiving application (MSH-5)').fill('LAB')
    await dialog.getByRole('button', { name: 'Create connection' }).click()
    await expect(dialog).toBeHidden()

    const dest = page.getByTestId('hl7-destinations').getByTestId('destination-lab-out')
    await expect(dest).toContainText(`127.0.0.1:${peer.port}`)
    await expect(dest.getByTestId('destination-pending')).toHaveText('0')
    // Nothing waits to go, so an unconnected sender is idle, not a problem.
    await expect(dest.getByTestId('destination-state')).toHaveText('idle')
    await page.getByRole('button', { name: 'Send a test message to lab-out' }).click()
    await page.getByRole('menuitem', { name: /^NMD\^N02/ }).click()
    const outcome = page.getByTestId('send-test-lab-out')
    await expect(outcome.getByTestId('send-test-verdict')).toHaveText('round trip ok')
    await expect(outcome.getByTestId('send-test-ack')).toContainText(/ACK AA for T\S+/)
    // The peer really got it, with our control id.
    const controlId = (await outcome.getByTestId('send-test-ack').locator('code').nth(1).textContent())!
    expect(peer.received.some((l) => l.includes('NMD^N02') && l.includes(`ctrl=${controlId}`))).toBe(true)
    await keepScreenshot(page, 'hl7-interfaces')

    // The peer goes away: the same test now fails with the reason, as data.
    await peer.stop()
    await page.getByRole('button', { name: 'Send a test message to lab-out' }).click()
    await page.getByRole('menuitem', { name: /^NMD\^N02/ }).click()
    await expect(outcome.getByTestId('send-test-verdict')).toHaveText('failed')
    await expect(outcome.getByTestId('send-test-error')).toContainText('connection_refused')

    // Both test sends are in the audit trail.
    const audit = await serve.call<{ action: string; outcome: string }[]>('audit.list', { action: 'hl7.sendTest' })
    expect(audit.ok && audit.value.map((i) => i.outcome).sort()).toEqual(['error', 'ok'])
  } finally {
    await peer.stop()
    await serve.stop()
  }
})
