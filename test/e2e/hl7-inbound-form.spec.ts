/**
 * An HL7 inbound interface built in the console's form, not in JSON: a filter rule that sets test
 * messages (MSH-11 = T) aside, tried on pasted messages before saving, then proved on the wire
 * with Debian's mllp_send: the T message is acknowledged and stored as `filtered` by that rule,
 * the production one is processed. Its batches are answered one ACK frame per message
 * (`batchAcks: per-message`, chosen in the form): a frame of two messages gets two frames back.
 */
import { expect, test } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe, type ServeProcess } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'

const adt = (control: string, processing: 'P' | 'T') =>
  [`MSH|^~\\&|REGADT|RIVERSIDE|PS|CLINIC|20260601091500||ADT^A04^ADT_A01|${control}|${processing}|2.5.1`, 'EVN|A04|20260601091500', `PID|1||MRN-${control}^^^RIVERSIDE^MR||FORMTEST^ANA||19800101|F`, 'PV1|1|O'].join('\n') + '\n'

async function statusOf(serve: ServeProcess, control: string): Promise<{ status: string; filteredBy: string | null }> {
  let hit: { id: number; status: string } | undefined
  await expect
    .poll(
      async () => {
        const r = await serve.call<{ items: { id: number; controlId: string | null; status: string }[] }>('transactions.list', { practiceId: 'sandbox', q: control })
        hit = r.ok ? r.value.items.find((i) => i.controlId === control && i.status !== 'received' && i.status !== 'processing') : undefined
        return hit?.status ?? ''
      },
      { timeout: 30_000 },
    )
    .not.toBe('')
  const detail = await serve.call<{ status: string; filteredBy: string | null }>('transactions.get', { id: hit!.id })
  if (!detail.ok) throw new Error(detail.error.message)
  return { status: detail.value.status, filteredBy: detail.value.filteredBy }
}

test('HL7 inbound form: a filter rule tried on pasted messages, saved, and applied to real traffic', async ({ page }) => {
  const serve = await startServe()
  const dir = mkdtempSync(join(tmpdir(), 'ps-e2e-form-'))
  try {
    await openConsole(page, serve.url)
    await go(page, 'Connections')
    await page.getByRole('button', { name: 'New connection' }).click()
    await page.getByRole('menuitem', { name: 'HL7 inbound listener' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Name').fill('lab-in')
    await expect(dialog.getByLabel('Port')).toHaveValue('0')

    await dialog.getByRole('button', { name: 'Add a rule' }).click()
    await dialog.getByLabel('Rule 1 name').fill('no-test-messages')
    await dialog.getByRole('group', { name: 'Rule 1 processing ids' }).getByText('T test').click()

    // Tried before saving, on pasted text with LF line ends.
    const tryout = dialog.getByTestId('filter-tryout')
    await tryout.getByLabel('Try on a message').fill(adt('TRY-T', 'T'))
    await tryout.getByRole('button', { name: 'Try' }).click()
    await expect(tryout.getByTestId('tryout-outcome')).toHaveText('filtered')
    await expect(tryout.getByTestId('tryout-reason')).toContainText('no-test-messages')
    await tryout.getByLabel('Try on a message').fill(adt('TRY-P', 'P'))
    await tryout.getByRole('button', { name: 'Try' }).click()
    await expect(tryout.getByTestId('tryout-outcome')).toHaveText('accepted')
    // Not HL7: a typed error, not a verdict.
    await tryout.getByLabel('Try on a message').fill('PID|1||X\n')
    await tryout.getByRole('button', { name: 'Try' }).click()
    await expect(tryout.getByRole('alert')).toContainText('parse_error')
    await keepScreenshot(page, 'hl7-inbound-form')

    // Listening on every address without TLS: warned, and refused until TLS or a private network with its peers.
    await dialog.getByLabel('Listen on address').fill('0.0.0.0')
    await expect(dialog.getByTestId('plaintext-warning')).toBeVisible()
    await dialog.getByRole('button', { name: 'Create connection' }).click()
    await expect(dialog.getByText(/without TLS needs the peer addresses allowed to connect/)).toBeVisible()
    await dialog.getByLabel('Listen on address').fill('127.0.0.1')
    await expect(dialog.getByTestId('plaintext-warning')).toHaveCount(0)
    await dialog.getByLabel('Batches (several messages in one frame)').click()
    await page.getByRole('option', { name: 'One ACK frame per message' }).click()

    await dialog.getByRole('button', { name: 'Create connection' }).click()
    await expect(dialog).toBeHidden()
    const row = page.getByTestId('hl7-listeners').getByTestId('listener-lab-in')
    await expect(row.getByTestId('listener-state')).toHaveText('listening')
    const port = Number((await row.getByTestId('listener-address').textContent())!.split(':')[1])
    expect(port).toBeGreaterThan(0)

    // Real traffic: both are acknowledged; the test message is set aside by the rule.
    for (const [control, p] of [['FORM-T1', 'T'], ['FORM-P1', 'P']] as const) {
      const file = join(dir, `${control}.hl7`)
      writeFileSync(file, adt(control, p))
      expect(execFileSync('/usr/bin/mllp_send', ['--loose', '-p', String(port), '-f', file, '127.0.0.1'], { encoding: 'utf8', timeout: 30_000 })).toMatch(/MSA\|AA\|/)
    }
    expect(await statusOf(serve, 'FORM-T1')).toMatchObject({ status: 'filtered', filteredBy: 'no-test-messages' })
    expect((await statusOf(serve, 'FORM-P1')).status).toBe('done')
    // Two messages in one frame: two ACK frames back, in order.
    const frames = await new Promise<string[]>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => s.write(`\x0b${adt('FORM-B1', 'P').replace(/\n/g, '\r')}${adt('FORM-B2', 'P').replace(/\n/g, '\r')}\x1c\r`))
      let buf = ''
      s.setEncoding('latin1')
      s.on('data', (d: string) => {
        buf += d
        const got = buf.split('\x1c\r').filter((f) => f.startsWith('\x0b'))
        if (got.length === 2) {
          s.end()
          resolve(got.map((f) => /MSA\|(\w+)\|([^|\r]+)/.exec(f)?.slice(1).join(' ') ?? f))
        }
      })
      s.on('error', reject)
      setTimeout(() => reject(new Error(`two ACK frames not received: ${JSON.stringify(buf)}`)), 30_000).unref()
    })
    expect(frames).toEqual(['AA FORM-B1', 'AA FORM-B2'])

    // Each try is in the audit trail, with its verdict and never the message.
    const tries = await serve.call<{ outcome: string; details: Record<string, unknown> }[]>('audit.list', { action: 'hl7.tryInterface' })
    expect(tries.ok && tries.value.map((e) => [e.outcome, e.details.outcome ?? e.details.code]).reverse()).toEqual([['ok', 'filtered'], ['ok', 'accepted'], ['error', 'parse_error']])
    expect(JSON.stringify(tries.ok && tries.value)).not.toContain('FORMTEST')

    // The saved rule comes back in the form.
    await page.getByRole('button', { name: 'Edit lab-in' }).click()
    await expect(dialog.getByLabel('Rule 1 name')).toHaveValue('no-test-messages')
    await expect(dialog.getByLabel('Batches (several messages in one frame)')).toHaveValue('One ACK frame per message')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
  } finally {
    await serve.stop()
  }
})
