/**
 * A read-only person in Chromium against the real server: a viewer of the practice sees the failed
 * transaction in the error queue and the inspector, is offered none of the actions (reprocess,
 * discard, edit, triage, new alert rule), and a direct call to the API for them is refused by the
 * engine, audited, and changes nothing.
 */
import { expect, test } from '@playwright/test'
import { startServe } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'
import { sendRawFrame } from './support/mllp'

const VIEWER = { username: 'vic', displayName: 'Vic Viewer', password: 'ember orchard pylon 33' }
const P = 'sandbox'

test('a viewer sees failures but is offered no action on them, and the engine refuses them', async ({ page }) => {
  const serve = await startServe({ args: ['--config', 'docs/examples/sandbox-hl7.json'] })
  try {
    // A message that fails (a sex code no map knows), so there is something to act on.
    const listener = serve.listeners.find((l) => l.kind === 'hl7-mllp' && l.practice === P)!
    const frame = `MSH|^~\\&|REGADT|RIVERSIDE|PS|CLINIC|20260601091500||ADT^A08|VIEW-1|P|2.5.1\rEVN|A08|20260601091500\rPID|1||V1^^^RIVERSIDE^MR||QUINTERO^ELENA||19870618|Q\rPV1|1|I|WARD^2\r`
    expect(await sendRawFrame(listener.port, frame)).toMatch(/MSA\|AA\|VIEW-1/)
    let failedId = 0
    await expect
      .poll(async () => {
        const r = await serve.call<{ items: { id: number }[] }>('transactions.list', { practiceId: P, statuses: ['error'] })
        failedId = r.ok ? (r.value.items[0]?.id ?? 0) : 0
        return failedId
      })
      .toBeGreaterThan(0)

    // The administrator invites a viewer of the practice; the viewer chooses their own password.
    const invited = await serve.call<{ person: { id: string }; temporaryPassword: string }>('people.invite', { username: VIEWER.username, displayName: VIEWER.displayName, grants: [{ practiceId: P, roleId: 'viewer' }] })
    if (!invited.ok) throw new Error(`invite: ${invited.error.code} ${invited.error.message}`)
    const signIn = await fetch(`${serve.origin}/api/auth.signIn`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1' }, body: JSON.stringify({ username: VIEWER.username, password: invited.value.temporaryPassword }) })
    const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!
    const changed = await fetch(`${serve.origin}/api/account.changePassword`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1', cookie }, body: JSON.stringify({ current: invited.value.temporaryPassword, next: VIEWER.password }) })
    expect(((await changed.json()) as { ok: boolean }).ok).toBe(true)

    await openConsole(page, serve.url, VIEWER)
    await expect(page.getByTestId('user-menu')).toHaveText(VIEWER.username)

    // The error queue: the group and its transaction are there, the actions are not.
    await go(page, 'Error queue')
    const group = page.getByTestId('error-group')
    await expect(group).toHaveCount(1)
    await group.click()
    const detail = page.getByTestId('group-detail')
    await expect(detail.getByTestId(`error-row-${failedId}`)).toBeVisible()
    const actions = /^(Reprocess|Retry|Discard|Edit|Triage)\b/
    await expect(page.getByRole('button', { name: actions })).toHaveCount(0)
    await expect(page.getByRole('button', { name: /Reprocess all/ })).toHaveCount(0)
    await keepScreenshot(page, 'access-viewer-errors')

    // The inspector: the transaction's metadata, no actions, and no content without PHI rights.
    await detail.getByRole('link', { name: `#${failedId}` }).click()
    await expect(page.getByRole('heading', { name: `Transaction #${failedId}` })).toBeVisible()
    await expect(page.getByTestId('tx-error')).toBeVisible()
    await expect(page.getByTestId('content-hidden')).toBeVisible()
    await expect(page.getByRole('button', { name: actions })).toHaveCount(0)
    await keepScreenshot(page, 'access-viewer-inspector')

    // The dashboard: rules are listed, not editable.
    await go(page, 'Dashboard')
    await expect(page.getByRole('button', { name: 'Check now' })).toBeVisible()
    await expect(page.getByRole('button', { name: 'New rule' })).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'New channel' })).toHaveCount(0)

    // Calling the API directly from the viewer's page (their session cookie, the CSRF header) is refused.
    const refused = await page.evaluate(async (id) => {
      const call = async (method: string, input: unknown) => {
        const r = await fetch(`/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1' }, body: JSON.stringify(input) })
        return ((await r.json()) as { ok: boolean; error?: { code: string } }).error?.code ?? 'allowed'
      }
      return {
        reprocess: await call('transactions.reprocess', { ids: [id] }),
        discard: await call('transactions.discard', { ids: [id], reason: 'not mine to discard' }),
        edit: await call('transactions.editAndReprocess', { id, raw: 'MSH|^~\\&|X', reason: 'not mine to edit' }),
        group: await call('errors.reprocess', { selection: { kind: 'ids', ids: [id] }, upToId: id }),
      }
    }, failedId)
    expect(refused).toEqual({ reprocess: 'forbidden', discard: 'forbidden', edit: 'forbidden', group: 'forbidden' })

    // Nothing changed, and each refusal is in the audit trail with the person and the permission.
    const tx = await serve.call<{ status: string; attempts: number }>('transactions.get', { id: failedId })
    expect(tx.ok && tx.value).toMatchObject({ status: 'error', attempts: 1 })
    const denied = await serve.call<{ targetId: string; personId: string | null; permission: string | null; outcome: string }[]>('audit.list', { action: 'access.denied' })
    if (!denied.ok) throw new Error(denied.error.message)
    const mine = denied.value.filter((d) => d.personId === invited.value.person.id)
    expect(mine.map((d) => [d.targetId, d.permission, d.outcome])).toEqual(
      expect.arrayContaining([
        ['transactions.reprocess', 'msg.reprocess', 'denied'],
        ['transactions.discard', 'msg.discard', 'denied'],
        ['transactions.editAndReprocess', 'msg.edit_payload', 'denied'],
        ['errors.reprocess', 'msg.reprocess', 'denied'],
      ]),
    )
  } finally {
    await serve.stop()
  }
})
