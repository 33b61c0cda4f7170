import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertRule, AppNotification } from '../../../shared/api/alerts'
import type { Clock } from '../../../electron/engine/core/clock'
import { systemClock } from '../../../electron/engine/core/clock'
import { consoleModule } from '../../../electron/engine/console/console-handlers'
import { adt, openTestEngine, type TestEngine } from './helpers'

/**
 * Wall time the test moves by hand. The alert service's timer sleeps until the engine stops, so
 * evaluations happen when the test calls `alerts.evaluate` and nowhere else.
 */
function manualClock(start: number): Clock & { advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    monotonic: () => systemClock.monotonic(),
    sleep: (_ms, signal) => new Promise<void>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })),
    advance: (ms) => void (now += ms),
  }
}

describe('alert rules', () => {
  let t: TestEngine
  const clock = manualClock(Date.UTC(2026, 10, 25, 9, 0, 0))
  const events: { name: string; payload: unknown }[] = []

  beforeAll(async () => {
    t = await openTestEngine({ clock })
    t.engine.ctx.events.onAny((name, payload) => events.push({ name, payload }))
  })
  afterAll(() => t.close())

  it('raises one notification when failures cross the threshold, and one when they are resolved', async () => {
    const rule = await t.call<AlertRule>('alerts.saveRule', { practiceId: 'sandbox', name: 'ADT failures', kind: 'error_count', level: 'error', channel: 'adt-in', threshold: 2, windowMinutes: 15 })
    expect(rule).toMatchObject({ enabled: true, firing: false, connector: null, channel: 'adt-in' })
    await t.receive(adt({ control: 'A1', mrn: 'M1', dob: '19801301' }))
    await t.engine.ctx.pipeline.idle()
    expect(await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })).toEqual([])
    const bad = await t.receive(adt({ control: 'A2', mrn: 'M2', dob: '19801301' }))
    await t.engine.ctx.pipeline.idle()
    const raised = await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })
    expect(raised).toMatchObject([{ level: 'error', title: 'ADT failures', message: '2 failed transactions in the last 15 min on adt-in (threshold 2).', practiceId: 'sandbox', ruleId: rule.id }])
    expect(events.filter((e) => e.name === 'notifications.raised')).toHaveLength(1)
    // Still failing: no second notification.
    expect(await t.call('alerts.evaluate', { practiceId: 'sandbox' })).toEqual([])
    await t.call('errors.discard', { selection: { kind: 'ids', ids: [bad] }, upToId: bad, reason: 'duplicate test message' })
    const resolved = await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })
    expect(resolved).toMatchObject([{ level: 'info', title: 'Resolved: ADT failures' }])
    const rules = await t.call<AlertRule[]>('alerts.rules', { practiceId: 'sandbox' })
    expect(rules[0]).toMatchObject({ firing: false, lastValue: 1 })
  })

  it('watches an interface for silence, by the injected clock', async () => {
    await t.call('alerts.saveRule', { practiceId: 'sandbox', name: 'ADT silent', kind: 'inactivity', channel: 'adt-in', windowMinutes: 30 })
    expect(await t.call('alerts.evaluate', { practiceId: 'sandbox' })).toEqual([])
    clock.advance(31 * 60_000)
    const r = await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })
    expect(r.map((n) => [n.title, n.message])).toEqual([['ADT silent', 'Nothing received on adt-in for 31 min (limit 30 min).']])
  })

  it('watches queue depth', async () => {
    await t.call('alerts.saveRule', { practiceId: 'sandbox', name: 'Backlog', kind: 'queue_depth', connector: 'hl7', threshold: 1 })
    await t.engine.ctx.pipeline.receive({ practiceId: 'sandbox', connector: 'hl7', channel: 'adt-in', direction: 'in', contentType: 'hl7v2', raw: Buffer.from(adt({ control: 'Q1', mrn: 'Q1' })), notBefore: clock.now() + 3_600_000 })
    const r = await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })
    // The new arrival also ends the silence on adt-in.
    expect(r.map((n) => n.title).sort()).toEqual(['Backlog', 'Resolved: ADT silent'])
  })

  it('lists notifications newest first with an unread count, and marks them read', async () => {
    const all = await t.call<{ items: AppNotification[]; unread: number }>('alerts.notifications', { practiceId: 'sandbox' })
    expect(all.unread).toBe(all.items.length)
    expect(all.items[0]!.at).toBeGreaterThanOrEqual(all.items[all.items.length - 1]!.at)
    await t.call('alerts.markRead', { ids: [all.items[0]!.id] })
    expect((await t.call<{ unread: number }>('alerts.notifications', { practiceId: 'sandbox' })).unread).toBe(all.items.length - 1)
    await t.call('alerts.markRead', { practiceId: 'sandbox' })
    expect((await t.call<{ items: AppNotification[] }>('alerts.notifications', { practiceId: 'sandbox', unreadOnly: true })).items).toEqual([])
  })

  it('refuses a second rule with the same name, audits changes, and runs as an engine service', async () => {
    const dup = await t.callResult('alerts.saveRule', { practiceId: 'sandbox', name: 'Backlog', kind: 'queue_depth', threshold: 5 })
    expect(dup.error?.code).toBe('conflict')
    const audit = await t.call<{ action: string }[]>('audit.list', { targetType: 'alert_rule' })
    expect(audit.map((a) => a.action)).toEqual(['alert_rule.create', 'alert_rule.create', 'alert_rule.create'])
    const svc = consoleModule(t.engine.ctx).alertService
    expect(t.engine.ctx.services.get('alerts')).toBe(svc)
    expect(svc.status().state).toBe('running')
    const status = await t.call<{ engines: { name: string; state: string }[] }>('system.status')
    expect(status.engines.find((e) => e.name === 'alerts')).toMatchObject({ state: 'running' })
  })
})
