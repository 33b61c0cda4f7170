import { expect, test, type Page } from '@playwright/test'
import { resolve } from 'node:path'
import { startServe, type ServeProcess } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'
import { CORPUS_ROOT } from '../support/corpus-dir'

const CORPUS = CORPUS_ROOT

async function openSet(page: Page, key: string): Promise<void> {
  await go(page, 'Mappings')
  await page.getByTestId(`set-row-${key}`).getByRole('link').click()
  await expect(page.getByTestId('draft-status')).toBeVisible()
}

test('CSV patients: live preview on a corpus file, publish past a failing test with a reason, diff, roll back', async ({ page }) => {
  const serve: ServeProcess = await startServe()
  try {
    await openConsole(page, serve.url)
    await go(page, 'Mappings')
    await expect(page.getByTestId('set-row-csv.patient.in')).toContainText('shipped default')
    await keepScreenshot(page, 'mappings-sets')
    await openSet(page, 'csv.patient.in')

    // Load a real Synthea export from the corpus: every row shows its value for the first data row.
    await page.getByTestId('sample-file-input').setInputFiles(resolve(CORPUS, 'csv/synthea-dbt__patients.csv'))
    await expect(page.getByTestId('field-value-first_name')).toHaveText('Maynard')
    await expect(page.getByTestId('field-value-address_state')).toHaveText('MA')
    await expect(page.getByTestId('field-value-address_postal_code')).toHaveText('02155')
    // Another row of the same file.
    await page.getByTestId('sample-row').click()
    await page.getByRole('option', { name: /^3: / }).click()
    await expect(page.getByTestId('field-value-first_name')).not.toHaveText('Maynard')
    await page.getByTestId('sample-row').click()
    await page.getByRole('option', { name: /^2: / }).click()
    await expect(page.getByTestId('field-value-first_name')).toHaveText('Maynard')

    // Edit: drop the "strip Synthea digits" transform from first_name; the value changes as we edit.
    await page.getByTestId('field-row-first_name').click()
    const editor = page.getByTestId('row-editor')
    await expect(editor).toBeVisible()
    await expect(editor.getByTestId('trace-1')).toContainText('Maynard')
    await editor.getByRole('button', { name: 'Remove transform 2' }).click()
    await expect(page.getByTestId('field-value-first_name')).toHaveText('Maynard46')
    await expect(page.getByTestId('field-row-first_name')).toContainText('overridden')
    await expect(page.getByTestId('draft-status')).toHaveAttribute('data-state', 'saved')
    await keepScreenshot(page, 'mapping-editor-fields')

    // Code map: add a race code; it shows as added, with where-used.
    await page.getByRole('tab', { name: /Code maps/ }).click()
    await page.getByTestId('codemap-synthea_race').click()
    await expect(page.getByTestId('where-used').first()).toContainText('race → race')
    await page.getByLabel('Code', { exact: true }).fill('middleeastern')
    await page.getByLabel('Maps to', { exact: true }).fill('2131-1')
    await page.getByRole('button', { name: 'Add code' }).click()
    await expect(page.getByTestId('entry-middleeastern')).toContainText('added')
    await keepScreenshot(page, 'mapping-editor-codemaps')

    // Side by side: source, mapped record, validation outcome.
    await page.getByRole('tab', { name: 'Side by side' }).click()
    await expect(page.getByTestId('mapped-output')).toContainText('"first_name": "Maynard46"')
    await expect(page.getByTestId('validation-badge')).toHaveText('valid record')

    // Publishing runs the shipped tests first: the first one expects "Maynard", so nothing is published...
    await page.getByTestId('publish-button').click()
    const dialog = page.getByRole('dialog', { name: 'Publish a new version' })
    await dialog.getByLabel('Comment').fill('Keep Synthea name suffixes; map middleeastern')
    await dialog.getByRole('button', { name: 'Run tests and publish' }).click()
    await expect(dialog.getByTestId('publish-test-failures')).toContainText('first_name')
    // ...until a reason is given.
    await dialog.getByLabel('Publish anyway because…').fill('Names must match the source system exactly')
    await dialog.getByRole('button', { name: 'Publish anyway' }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByTestId('live-version')).toHaveText('live: version 1')
    await expect(page.getByTestId('draft-status')).toHaveText('No draft')

    // Versions: diff version 1 against the shipped default, field by field.
    await page.getByRole('tab', { name: 'Versions' }).click()
    await expect(page.getByTestId('version-row-1')).toContainText('Keep Synthea name suffixes')
    await expect(page.getByTestId('diff-field-first_name')).toContainText('changed')
    await expect(page.getByTestId('diff-codemap-synthea_race')).toContainText('middleeastern')
    await keepScreenshot(page, 'mapping-versions-diff')

    // Roll back to the shipped default in one action: version 2 restores it.
    await page.getByRole('button', { name: 'Roll back to the shipped default' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click()
    await expect(page.getByTestId('live-version')).toHaveText('live: version 2')
    await page.getByRole('tab', { name: 'Fields (16)' }).click()
    await expect(page.getByTestId('field-value-first_name')).toHaveText('Maynard')

    // All of it is audited.
    const audit = await serve.call<{ action: string; details: Record<string, unknown> }[]>('audit.list', { action: 'mapping.publish' })
    expect(audit.ok && audit.value.some((e) => e.details.acceptedFailuresReason === 'Names must match the source system exactly')).toBe(true)
    const rb = await serve.call<{ action: string }[]>('audit.list', { action: 'mapping.rollback' })
    expect(rb.ok && rb.value.length).toBe(1)
  } finally {
    await serve.stop()
  }
})

test('FHIR patient: built-in sample, FHIRPath picked from the tree, save a mapping test, export and import', async ({ page }) => {
  const serve = await startServe()
  try {
    await openConsole(page, serve.url)
    await openSet(page, 'fhir.patient.in')
    await page.getByRole('button', { name: 'From…' }).click()
    await page.getByRole('menuitem', { name: 'Built-in samples' }).click()
    const modal = page.getByRole('dialog')
    await modal.getByRole('row', { name: /FHIR R4 Patient/ }).getByRole('button', { name: 'Use' }).click()
    await expect(page.getByTestId('field-value-phone_mobile')).toHaveText('+16172532000')
    await expect(page.getByTestId('field-value-preferred_language')).toHaveText('spa')

    // Point email at the nickname's given name by picking it from the tree (a FHIRPath with where()).
    await page.getByTestId('field-row-email').click()
    await page.getByLabel('Filter source tree').fill('Lena')
    await page.getByRole('button', { name: "Use name.where(use='nickname').given", exact: true }).click()
    await expect(page.getByRole('combobox', { name: 'Source path 1' })).toHaveValue("name.where(use='nickname').given")
    await expect(page.getByTestId('field-value-email')).toHaveText('Lena')
    await keepScreenshot(page, 'mapping-fhir-fields')

    // Side by side, and the transform library with its worked examples.
    await page.getByRole('tab', { name: 'Side by side' }).click()
    await expect(page.getByTestId('mapped-output')).toContainText('"email": "Lena"')
    await expect(page.getByTestId('validation-outcome')).toContainText('valid record')
    await keepScreenshot(page, 'mapping-fhir-side-by-side')
    await page.getByRole('button', { name: 'Transform library' }).click()
    await expect(page.getByTestId('library-phone')).toContainText('+16172531000')
    await keepScreenshot(page, 'mapping-transform-library')
    await page.keyboard.press('Escape')

    // Save the sample as a practice test, then break the row and watch the test fail.
    await page.getByRole('tab', { name: /Tests/ }).click()
    await page.getByLabel('New test from the current sample').fill('nickname as email')
    await page.getByRole('button', { name: 'Save as test' }).click()
    await expect(page.getByTestId('test-nickname as email')).toContainText('practice')
    await page.getByRole('button', { name: 'Run tests' }).click()
    // The new test passes; the shipped test that expects the real email address now fails, field by field.
    await expect(page.getByTestId('tests-summary')).toHaveText('4 passed, 1 failed')
    await expect(page.getByTestId('test-nickname as email')).toContainText('pass')
    await expect(page.getByTestId('test-US Core patient with race, ethnicity and language')).toContainText('fail')
    await expect(page.getByTestId('tests-table')).toContainText('elena.quintero@example.org')

    // Export the draft override, then import it back (no change) through the Versions tab.
    await page.getByRole('tab', { name: 'Versions' }).click()
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Export override' }).click()
    const file = await (await download).path()
    await page.getByTestId('mapping-import-input').setInputFiles(file!)
    await expect(page.getByTestId('draft-status')).toBeVisible()
    await keepScreenshot(page, 'mapping-fhir-versions')
  } finally {
    await serve.stop()
  }
})
