/**
 * The mapping studio's "done when" path, on HL7 v2: load an ADT sample, change the phone
 * transform and watch the preview change, map an unknown code from the worklist and reprocess the
 * transaction that failed on it, publish, diff with the previous version, roll back.
 *
 * Runs against the real server with the HL7 listener from docs/examples/sandbox-hl7.json and sends
 * with Debian's mllp_send, like a real interface engine would.
 */
import { expect, test } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { MappingEditorState } from '../../shared/api/mappings'
import type { FieldMap } from '../../shared/mapping'
import { startServe } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'
import { CORPUS_ROOT } from '../support/corpus-dir'

const CORPUS = CORPUS_ROOT
const SAMPLE = resolve(CORPUS, 'hl7/ADT_A04/oie-engine__05.hl7')
const KEY = 'hl7.adt.patient.in'
const P = 'sandbox'

/** The corpus message with an administrative sex no code map knows, as a new message. */
function messageWithUnknownSex(): string {
  const segs = readFileSync(SAMPLE, 'utf8').split(/\r\n|\r|\n/).filter((l) => l.trim() !== '')
  return (
    segs
      .map((line) => {
        const f = line.split('|')
        if (f[0] === 'MSH') f[9] = `STUDIO-E2E-${Date.now()}`
        if (f[0] === 'PID') f[8] = 'Q'
        return f.join('|')
      })
      .join('\r') + '\r'
  )
}

const usesPhone = (f: FieldMap): boolean => f.transforms.some((t) => t.op === 'phone')
const codeMapOf = (f: FieldMap): string | undefined => f.transforms.flatMap((t) => (t.op === 'code_map' ? [t.map] : []))[0]

test('HL7 ADT: phone transform preview, worklist entry + reprocess, publish, diff, roll back', async ({ page }) => {
  const serve = await startServe({ args: ['--config', 'docs/examples/sandbox-hl7.json'] })
  try {
    const listener = serve.listeners.find((l) => l.kind === 'hl7-mllp' && l.practice === P)
    expect(listener, `an HL7 listener for ${P} (stdout: ${serve.stdout.join(' | ')})`).toBeDefined()

    // The set as shipped: the phone row and the code map behind gender.
    const state = await serve.call<MappingEditorState>('mappings.get', { practiceId: P, key: KEY })
    if (!state.ok) throw new Error(`${KEY} is not registered: ${state.error.message}`)
    const phoneRow = state.value.shipped.fields.find((f) => usesPhone(f) && [f.source].flat().some((s) => s?.startsWith('PID-13')))!
    expect(phoneRow, 'a row reading PID-13 through a phone transform').toBeDefined()
    const genderRow = state.value.shipped.fields.find((f) => f.target === 'gender' && codeMapOf(f))!
    const sexMap = codeMapOf(genderRow)!
    const phoneFormat = (phoneRow.transforms.find((t) => t.op === 'phone') as { format: string }).format
    const newFormat = phoneFormat === 'NATIONAL' ? 'E164' : 'NATIONAL'

    // An unknown sex code must fail the message (the shipped set does this; make sure of it otherwise).
    let v = 0
    if (state.value.shipped.codeMaps.find((m) => m.name === sexMap)?.onMiss !== 'error') {
      const strict = await serve.call('mappings.publish', {
        practiceId: P,
        key: KEY,
        comment: 'Unknown sex codes must be reviewed',
        override: { baseKey: KEY, codeMaps: [{ name: sexMap, onMiss: 'error' }] },
        acceptFailures: 'shipped tests expect the default for unknown codes',
      })
      expect(strict.ok).toBe(true)
      v = 1
    }

    // A real interface sends a message with PID-8 = Q over MLLP; it fails on the code map.
    const dir = mkdtempSync(join(tmpdir(), 'ps-e2e-hl7-'))
    const file = join(dir, 'adt-q.hl7')
    writeFileSync(file, messageWithUnknownSex())
    execFileSync('/usr/bin/mllp_send', ['--loose', '-p', String(listener!.port), '-f', file, listener!.host], { timeout: 30_000 })
    let failedId = 0
    await expect
      .poll(async () => {
        const r = await serve.call<{ items: { id: number; errorCode: string | null }[] }>('transactions.list', { practiceId: P, statuses: ['error'] })
        failedId = r.ok ? (r.value.items[0]?.id ?? 0) : 0
        return failedId
      }, { timeout: 30_000 })
      .toBeGreaterThan(0)

    await openConsole(page, serve.url)
    await go(page, 'Mappings')
    await page.getByTestId(`set-row-${KEY}`).getByRole('link').click()

    // 1. Load an HL7 ADT sample from a file: every row shows its value.
    await page.getByTestId('sample-file-input').setInputFiles(SAMPLE)
    const value = page.getByTestId(`field-value-${phoneRow.id}`)
    await expect(value).toHaveText(/\d{3}/)
    const before = (await value.textContent()) ?? ''
    await keepScreenshot(page, 'mapping-hl7-sample')

    // 2. Change the phone transform: the preview follows as we edit.
    await page.getByTestId(`field-row-${phoneRow.id}`).click()
    const editor = page.getByTestId('row-editor')
    const card = editor.getByTestId(/^transform-\d+-phone$/)
    await card.getByRole('combobox', { name: 'format' }).click()
    await page.getByRole('option', { name: newFormat, exact: true }).click()
    await expect(value).not.toHaveText(before)
    // A national number breaks the row's E.164 validation: the error shows on this row. Drop the rule.
    const e164 = editor.getByRole('button', { name: 'Remove validation E.164 phone' })
    if (newFormat === 'NATIONAL' && (await e164.count()) > 0) {
      await expect(value).toHaveAttribute('data-error', 'true')
      await e164.click()
    }
    await expect(value).toHaveText(newFormat === 'NATIONAL' ? /^\(\d{3}\) \d{3}-\d{4}$/ : /^\+1\d{10}$/)
    const after = (await value.textContent()) ?? ''
    await expect(page.getByTestId('draft-status')).toHaveAttribute('data-state', 'saved')

    // 3. The worklist: add the entry in one click, then reprocess the failed transaction.
    await page.getByRole('tab', { name: /Unmapped codes/ }).click()
    const miss = page.getByTestId(`miss-row-${sexMap}-Q`)
    await expect(miss).toContainText('1×')
    await miss.getByRole('button', { name: /Add entry/ }).click()
    const dialog = page.getByRole('dialog', { name: "Map code 'Q'" })
    await dialog.getByTestId('miss-to').fill('U')
    await dialog.getByRole('button', { name: 'Add and publish' }).click()
    await expect(page.getByTestId('miss-added')).toContainText('1 transaction failed on this code')
    await page.getByRole('button', { name: 'Reprocess 1 failed transaction' }).click()
    await expect
      .poll(async () => {
        const r = await serve.call<{ status: string }>('transactions.get', { id: failedId })
        return r.ok ? r.value.status : 'unknown'
      }, { timeout: 30_000 })
      .toBe('done')
    await keepScreenshot(page, 'mapping-hl7-worklist')

    // 4. Publish the draft (the phone change, plus the entry the worklist copied into it).
    await page.getByTestId('publish-button').click()
    const pub = page.getByRole('dialog', { name: 'Publish a new version' })
    await pub.getByLabel('Comment').fill(`Phones as ${newFormat}`)
    await pub.getByRole('button', { name: 'Run tests and publish' }).click()
    // Shipped tests may pin the old phone format: then the reason is required (and audited).
    const failures = pub.getByTestId('publish-test-failures')
    await expect(failures.or(page.getByTestId('live-version').filter({ hasText: `version ${v + 2}` }))).toBeVisible()
    if (await failures.isVisible()) {
      await pub.getByLabel('Publish anyway because…').fill('The practice system wants national phone numbers')
      await pub.getByRole('button', { name: 'Publish anyway' }).click()
    }
    await expect(page.getByTestId('live-version')).toHaveText(`live: version ${v + 2}`)

    // 5. Diff it with the previous version: the phone row changed, the Q entry did not.
    await page.getByRole('tab', { name: 'Versions' }).click()
    await expect(page.getByTestId('diff-view')).toContainText(`Version ${v + 1}`)
    await expect(page.getByTestId(`diff-field-${phoneRow.id}`)).toContainText('changed')
    await expect(page.getByTestId(`diff-codemap-${sexMap}`)).toHaveCount(0)
    await keepScreenshot(page, 'mapping-hl7-diff')

    // 6. Roll back to the previous version in one action: the preview shows the shipped phone format again.
    await page.getByRole('button', { name: `Roll back to version ${v + 1}` }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click()
    await expect(page.getByTestId('live-version')).toHaveText(`live: version ${v + 3}`)
    await page.getByRole('tab', { name: /^Fields/ }).click()
    await expect(page.getByTestId(`field-value-${phoneRow.id}`)).toHaveText(before)
    expect(after).not.toBe(before)

    const audit = await serve.call<{ action: string; details: Record<string, unknown> }[]>('audit.list', { practiceId: P, targetType: 'mapping_set' })
    expect(audit.ok && audit.value.map((a) => a.action)).toEqual(expect.arrayContaining(['mapping.publish', 'mapping.reprocess_misses', 'mapping.rollback']))
  } finally {
    await serve.stop()
  }
})
