import { expect, test, type Page } from '@playwright/test'
import { startServe } from '../support/serve-process'
import { axeBuilder, go, keepScreenshot, openConsole } from './support/console'

/** No serious or critical WCAG 2.1 A/AA violation on what the page shows now (as accessibility.spec.ts checks every page). */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const r = await (await axeBuilder(page)).analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(bad.map((v) => `${what}: ${v.id} ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`).join(' | ')}`)).toEqual([])
}

test('FHIR: configure the sandbox endpoint, see its capabilities, watch a subscription deliver a change into the transaction log', async ({ page }) => {
  // Four pages, a connectivity test, a subscription round trip and axe three times on a shared two-core machine.
  test.setTimeout(300_000)
  const serve = await startServe()
  try {
    await openConsole(page, serve.url)
    await go(page, 'Connections')
    const row = page.getByTestId('connection-row-fhir')
    await expect(row).toContainText('FHIR R4')
    await expect(row.getByTestId('secret-badge')).toHaveText('secret set')

    // The seeded FHIR connection in the form: a custom server without a base URL is refused field by field.
    await page.getByRole('button', { name: 'Edit fhir' }).click()
    const dialog = page.getByRole('dialog')
    await expect(dialog.getByRole('combobox', { name: 'Server' })).toHaveValue('Local sandbox (in-process, /fhir/r4)')
    await expect(dialog.getByTestId('secret-state-client-secret')).toHaveText('set')
    await expect(dialog.getByRole('switch', { name: /Practice context/ })).toBeChecked()
    await dialog.getByRole('combobox', { name: 'Server' }).click()
    await page.getByRole('option', { name: 'Any FHIR R4 server' }).click()
    await expect(dialog.getByRole('switch', { name: /Practice context/ })).not.toBeChecked()
    await dialog.getByRole('button', { name: 'Save' }).click()
    await expect(dialog.getByText('a custom FHIR server needs its base URL')).toBeVisible()
    // private_key_jwt asks for an algorithm and a key instead of a secret.
    await dialog.getByRole('combobox', { name: 'Client authentication' }).click()
    await page.getByRole('option', { name: /private_key_jwt/ }).click()
    await expect(dialog.getByRole('combobox', { name: 'Signing algorithm' })).toHaveValue('RS384')
    await expect(dialog.getByTestId('secret-state-private-key')).toHaveText('not set')
    await dialog.getByRole('combobox', { name: 'Client authentication' }).click()
    await page.getByRole('option', { name: /HTTP Basic/ }).click()
    // Back to the sandbox, with the practice context and a smaller page.
    await dialog.getByRole('combobox', { name: 'Server' }).click()
    await page.getByRole('option', { name: 'Local sandbox (in-process, /fhir/r4)' }).click()
    await expect(dialog.getByRole('switch', { name: /Practice context/ })).toBeChecked()
    await dialog.getByRole('button', { name: /Searches, validation/ }).click()
    await dialog.getByRole('textbox', { name: 'Page size (_count)' }).fill('50')
    await keepScreenshot(page, 'fhir-connection-form')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await expect(dialog).toBeHidden()
    const saved = await serve.call<any[]>('connections.list', { practiceId: 'sandbox' })
    const fhir = saved.ok ? saved.value.find((c) => c.name === 'fhir') : null
    expect(fhir.config).toMatchObject({ preset: 'sandbox', baseUrl: null, auth: 'client_secret_basic', practiceContext: true, pageSize: 50 })
    expect(JSON.stringify(saved)).not.toContain('sandbox-secret')

    // Connectivity: DNS → TLS → token → metadata → one search, then the capability table.
    await page.getByRole('button', { name: 'Test fhir' }).click()
    const result = page.getByTestId('test-result-fhir')
    await expect(result.getByTestId('test-verdict')).toHaveText('all steps passed', { timeout: 60_000 })
    for (const step of ['dns', 'tls', 'token', 'metadata', 'search']) await expect(result.getByTestId(`step-${step}`)).toContainText('ok')
    const caps = result.getByTestId('capability-table')
    await expect(result.getByTestId('capability-summary')).toContainText('FHIR 4.0.1')
    await expect(caps.getByTestId('cap-Observation')).toContainText('search-type')
    await expect(caps.getByTestId('cap-Observation')).toContainText('read-only')
    await expect(caps.getByTestId('cap-Patient')).toContainText('ah-practice')
    await expect(caps.getByTestId('cap-Encounter')).toContainText('patient')
    await result.getByRole('textbox', { name: 'Filter resource types' }).fill('patient')
    await expect(caps.getByTestId('cap-Observation')).toBeHidden()
    await keepScreenshot(page, 'fhir-capabilities')
    await expectAccessible(page, 'connections')

    // Subscriptions: the seeded topics become active on the sandbox.
    await go(page, 'Subscriptions')
    const patientUpdate = page.getByTestId('subscription-Patient.update')
    await expect(patientUpdate.getByTestId('subscription-state')).toHaveText('active', { timeout: 60_000 })
    await expect(page.getByTestId('webhook-state')).toHaveText('listening')
    await expect(page.getByTestId('webhook-reachability')).toContainText('reachable')

    // A change in the sandbox (its admin trigger, through the console) arrives through the webhook.
    await patientUpdate.getByRole('button', { name: 'Send a test notification for Patient.update' }).click()
    const toast = page.getByText(/Patient\.update: event [0-9a-f-]{36}/)
    await expect(toast).toBeVisible()
    const eventId = /event ([0-9a-f-]{36})/.exec((await toast.textContent()) ?? '')![1]!
    await expect(patientUpdate.getByTestId('subscription-events')).not.toHaveText('0', { timeout: 30_000 })
    await expect(patientUpdate.getByTestId('subscription-last')).not.toHaveText('—')
    await keepScreenshot(page, 'fhir-subscriptions')
    // The toast fades out on its own; axe caught it mid-fade once (contrast 1.23, a blend of its
    // colours), so the page is checked once it is gone. Mantine holds a toast open while the
    // pointer is over it (a fresh-clone CI waited 15 s for it): the pointer moves away first.
    await page.mouse.move(0, 0)
    await expect(toast).toBeHidden({ timeout: 15_000 })
    await expectAccessible(page, 'subscriptions')

    // Renew: the replacement is created first and the old one retires after the overlap.
    await patientUpdate.getByRole('button', { name: 'Renew Patient.update' }).click()
    await expect(page.getByTestId('subscription-Patient.update-retiring')).toBeVisible()
    await expect(page.getByTestId('subscription-Patient.update').getByTestId('subscription-state')).toHaveText('active')

    // The event in the transaction log, processed, and in the inspector with the resource it was re-read as.
    await go(page, 'Transactions')
    await page.getByRole('textbox', { name: 'Search' }).fill(eventId)
    const tx = page.getByTestId('tx-table').getByRole('row').filter({ hasText: 'notification Patient.update' })
    await expect(tx).toHaveCount(1)
    await expect(tx).toContainText('done', { timeout: 30_000 })
    await tx.click()
    const facts = page.getByTestId('fhir-facts')
    await expect(facts).toContainText('FHIR notification')
    await expect(facts).toContainText('Patient.update')
    await expect(facts.getByTestId('fhir-resource')).toHaveText(/^Patient\/a-195900\.E-\d+$/)
    await expect(facts.getByTestId('fhir-valid').or(facts.getByTestId('fhir-issues'))).toBeVisible()
    await keepScreenshot(page, 'fhir-inspector')
    await expectAccessible(page, 'inspector')

    const audit = await serve.call<{ action: string }[]>('audit.list', { practiceId: 'sandbox' })
    expect(audit.ok && audit.value.map((e) => e.action)).toEqual(expect.arrayContaining(['connection.test', 'fhir.subscriptions.sendTest']))
  } finally {
    await serve.stop()
  }
})

test('FHIR: pull a patient and their observations, then reprocess a notification that failed on a missing scope once the scope is back', async ({ page }) => {
  test.setTimeout(300_000)
  const serve = await startServe()
  try {
    await openConsole(page, serve.url)
    await go(page, 'Subscriptions')

    // Pull one patient with their clinical data: each resource a transaction in the patient's lane.
    const pull = page.getByTestId('fhir-pull')
    await pull.getByRole('textbox', { name: 'Patient id' }).fill('a-195900.E-1005')
    await expect(pull.getByRole('checkbox', { name: /with Encounters, Observations/ })).toBeChecked()
    await pull.getByRole('button', { name: 'Pull patient' }).click()
    await expect(pull.getByTestId('pull-patient')).toHaveText('1 resource (1 new, 0 unchanged)', { timeout: 60_000 })
    await expect(pull.getByTestId('pull-clinical')).toHaveText(/^([1-9]\d*) resources \(\1 new, 0 unchanged\)$/)
    const observations = await serve.call<{ items: unknown[] }>('transactions.list', { practiceId: 'sandbox', connector: 'fhir', channel: 'Patient/a-195900.E-1005', messageType: 'Observation', limit: 500 })
    expect(observations.ok && observations.value.items.length).toBeGreaterThan(0)
    await keepScreenshot(page, 'fhir-pull')
    await pull.getByRole('link', { name: "All of this patient's FHIR transactions" }).click()
    const obs = page.getByTestId('tx-table').getByRole('row').filter({ hasText: 'Observation' })
    await expect(obs.first()).toContainText('done', { timeout: 30_000 })
    await obs.first().click()
    await expect(page.getByTestId('fhir-facts').getByTestId('fhir-resource')).toHaveText(/^Observation\/\S+$/)
    await expect(page.getByTestId('fhir-facts')).toContainText('FHIR resource')

    // Break it for a real reason: the connection's token no longer carries system/Patient.read.
    const editScopes = async (change: (scopes: ReturnType<Page['getByRole']>) => Promise<void>): Promise<void> => {
      await go(page, 'Connections')
      await page.getByRole('button', { name: 'Edit fhir' }).click()
      const dialog = page.getByRole('dialog')
      await change(dialog.getByRole('combobox', { name: 'Scopes' }))
      await dialog.getByRole('button', { name: 'Save' }).click()
      await expect(dialog).toBeHidden()
    }
    await editScopes(async (scopes) => {
      const pill = page.getByRole('dialog').locator('.mantine-Pill-root', { hasText: 'system/Patient.read' })
      await pill.locator('button').click()
      await expect(pill).toHaveCount(0)
      await expect(scopes).toBeVisible()
    })
    await go(page, 'Subscriptions')
    const patientUpdate = page.getByTestId('subscription-Patient.update')
    await expect(patientUpdate.getByTestId('subscription-state')).toHaveText('active', { timeout: 60_000 })
    await patientUpdate.getByRole('button', { name: 'Send a test notification for Patient.update' }).click()
    const toast = page.getByText(/Patient\.update: event [0-9a-f-]{36}/)
    await expect(toast).toBeVisible()
    const eventId = /event ([0-9a-f-]{36})/.exec((await toast.textContent()) ?? '')![1]!

    // The re-read is refused (403 OperationOutcome): the notification waits in the error queue, not retried.
    await go(page, 'Error queue')
    const group = page.getByTestId('error-group').filter({ hasText: 'auth_failed' })
    await expect(group).toContainText('system/Patient.read', { timeout: 30_000 })
    await keepScreenshot(page, 'fhir-failed-notification')

    // Fix: the scope back on the connection, then reprocess from the error queue.
    await editScopes(async (scopes) => {
      await scopes.fill('system/Patient.read')
      await scopes.press('Enter')
      await expect(page.getByRole('dialog').locator('.mantine-Pill-root', { hasText: 'system/Patient.read' })).toHaveCount(1)
    })
    await go(page, 'Error queue')
    await group.click()
    await page.getByTestId('group-detail').getByRole('button', { name: /Reprocess group \(1\)/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Reprocess' })
    await dialog.getByRole('button', { name: 'Reprocess 1' }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByTestId('error-group').filter({ hasText: 'auth_failed' })).toHaveCount(0, { timeout: 30_000 })

    await go(page, 'Transactions')
    await page.getByRole('textbox', { name: 'Search' }).fill(eventId)
    const tx = page.getByTestId('tx-table').getByRole('row').filter({ hasText: 'notification Patient.update' })
    await expect(tx).toContainText('done', { timeout: 30_000 })
    await tx.click()
    await expect(page.getByTestId('fhir-facts').getByTestId('fhir-resource')).toHaveText(/^Patient\/a-195900\.E-\d+$/)
    const audit = await serve.call<{ action: string }[]>('audit.list', { practiceId: 'sandbox' })
    expect(audit.ok && audit.value.map((e) => e.action)).toEqual(expect.arrayContaining(['fhir.pull.patient', 'fhir.pull.clinical']))
  } finally {
    await serve.stop()
  }
})
