/**
 * Alert rules and the notifications they raise. A rule watches one practice (optionally one
 * connector and/or interface) through a registered kind (alert-kinds.ts): failures in a window, a
 * given error code, the AR/AE rate, silence, a deep queue, and what connectors add (a listener
 * down, athenaNet's quota or circuit breaker). Rules are edge-triggered: crossing into the alert
 * state raises one notification (again every `repeatMinutes` while it lasts, if set) and coming
 * back raises one "Resolved" notification, so a lasting problem does not flood anyone.
 * Notifications are stored (the bell lists them after a restart), pushed as `notifications.raised`
 * (the desktop shell shows OS notifications) and, for rules with channels, queued for delivery by
 * e-mail or signed webhook in the same transaction (alert-delivery.ts), so a restart loses none.
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../../../shared/errors'
import type { AlertRule, AppNotification } from '../../../shared/api/alerts'
import type { alertRuleInputSchema } from '../../../shared/api/alerts'
import type { z } from 'zod'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import type { EventBus } from '../core/event-bus'
import type { Logger } from '../core/logger'
import type { Db } from '../store/database'
import { consoleLink, scopeLabel, type AlertKinds, type Measurement } from './alert-kinds'
import type { ConsoleQueries } from './console-queries'

export { scopeLabel, type Measurement } from './alert-kinds'

type RuleInput = z.output<typeof alertRuleInputSchema>

interface RuleRow {
  id: string
  practice_id: string
  name: string
  kind: string
  enabled: number
  level: AlertRule['level']
  connector: string | null
  channel: string | null
  threshold: number
  window_minutes: number
  error_code: string | null
  channels: string
  quiet_start: string | null
  quiet_end: string | null
  repeat_minutes: number | null
  notify_resolved: number
  firing: number
  last_value: number | null
  last_fired_at: number | null
  last_notified_at: number | null
  last_checked_at: number | null
  created_at: number
  updated_at: number
}

interface NotificationRow {
  id: string
  practice_id: string | null
  rule_id: string | null
  level: AppNotification['level']
  title: string
  message: string
  link: string | null
  at: number
  read_at: number | null
}

function toRule(r: RuleRow): AlertRule {
  return {
    id: r.id,
    practiceId: r.practice_id,
    name: r.name,
    kind: r.kind,
    enabled: r.enabled === 1,
    level: r.level,
    connector: r.connector,
    channel: r.channel,
    threshold: r.threshold,
    windowMinutes: r.window_minutes,
    errorCode: r.error_code,
    channels: JSON.parse(r.channels) as string[],
    quietHours: r.quiet_start && r.quiet_end ? { start: r.quiet_start, end: r.quiet_end } : null,
    repeatMinutes: r.repeat_minutes,
    notifyResolved: r.notify_resolved === 1,
    firing: r.firing === 1,
    lastValue: r.last_value,
    lastFiredAt: r.last_fired_at,
    lastCheckedAt: r.last_checked_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function toNotification(r: NotificationRow): AppNotification {
  return { id: r.id, practiceId: r.practice_id, ruleId: r.rule_id, level: r.level, title: r.title, message: r.message, link: r.link, at: r.at, readAt: r.read_at }
}

const MINUTE = 60_000

/** Where a notification goes besides the bell: called inside the transaction that stores it. */
export type DeliveryQueue = (n: AppNotification, rule: AlertRule, resolved: boolean) => void

export class Alerts {
  private readonly s
  private deliveries: DeliveryQueue | null = null

  constructor(
    private readonly d: { db: Db; audit: AuditLog; events: EventBus; clock: Clock; logger: Logger; queries: ConsoleQueries; kinds: AlertKinds },
  ) {
    const db = d.db
    this.s = {
      rules: db.prepare('SELECT * FROM alert_rules WHERE practice_id = ? ORDER BY name COLLATE NOCASE'),
      enabledRules: db.prepare('SELECT * FROM alert_rules WHERE enabled = 1 ORDER BY practice_id, name'),
      enabledRulesOf: db.prepare('SELECT * FROM alert_rules WHERE enabled = 1 AND practice_id = ? ORDER BY name'),
      get: db.prepare('SELECT * FROM alert_rules WHERE id = ?'),
      byName: db.prepare('SELECT * FROM alert_rules WHERE practice_id = ? AND name = ?'),
      insert: db.prepare(`INSERT INTO alert_rules (id, practice_id, name, kind, enabled, level, connector, channel, threshold, window_minutes,
          error_code, channels, quiet_start, quiet_end, repeat_minutes, notify_resolved, created_at, updated_at)
        VALUES (@id, @practiceId, @name, @kind, @enabled, @level, @connector, @channel, @threshold, @windowMinutes,
          @errorCode, @channelsJson, @quietStart, @quietEnd, @repeatMinutes, @notifyResolvedInt, @now, @now)`),
      update: db.prepare(`UPDATE alert_rules SET name = @name, kind = @kind, enabled = @enabled, level = @level, connector = @connector, channel = @channel,
        threshold = @threshold, window_minutes = @windowMinutes, error_code = @errorCode, channels = @channelsJson, quiet_start = @quietStart,
        quiet_end = @quietEnd, repeat_minutes = @repeatMinutes, notify_resolved = @notifyResolvedInt, firing = 0, updated_at = @now WHERE id = @id`),
      delete: db.prepare('DELETE FROM alert_rules WHERE id = ?'),
      checked: db.prepare(`UPDATE alert_rules SET firing = ?, last_value = ?, last_checked_at = ?, last_fired_at = coalesce(?, last_fired_at),
        last_notified_at = coalesce(?, last_notified_at) WHERE id = ?`),
      notify: db.prepare(`INSERT INTO notifications (id, practice_id, rule_id, level, title, message, link, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      notifications: db.prepare(`SELECT * FROM notifications WHERE (@practiceId IS NULL OR practice_id = @practiceId OR practice_id IS NULL) AND (@scope IS NULL OR practice_id IS NULL OR practice_id IN (SELECT value FROM json_each(@scope)))
        AND (@unreadOnly = 0 OR read_at IS NULL) ORDER BY at DESC, rowid DESC LIMIT @limit`),
      unread: db.prepare(`SELECT count(*) AS n FROM notifications WHERE read_at IS NULL AND (@practiceId IS NULL OR practice_id = @practiceId OR practice_id IS NULL) AND (@scope IS NULL OR practice_id IS NULL OR practice_id IN (SELECT value FROM json_each(@scope)))`),
      markRead: db.prepare('UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL'),
      markAllRead: db.prepare('UPDATE notifications SET read_at = @now WHERE read_at IS NULL AND (@practiceId IS NULL OR practice_id = @practiceId OR practice_id IS NULL) AND (@scope IS NULL OR practice_id IS NULL OR practice_id IN (SELECT value FROM json_each(@scope)))'),
    }
    registerTransactionKinds(d.kinds, d.db, d.queries)
  }

  /** The delivery queue (alert-delivery.ts) plugs in here. */
  onNotify(queue: DeliveryQueue): void {
    this.deliveries = queue
  }

  rules(practiceId: string): AlertRule[] {
    return (this.s.rules.all(practiceId) as RuleRow[]).map(toRule)
  }

  save(input: RuleInput, actor: string, channelOf: (id: string) => { practiceId: string } | null): AlertRule {
    const kind = this.d.kinds.get(input.kind)
    if (!kind) throw new AppError('invalid_input', `"${input.kind}" is not an alert kind (${this.d.kinds.list().map((k) => k.kind).join(', ')}).`, { details: { issues: [{ path: 'kind', message: 'unknown kind' }] } })
    if (kind.uses.includes('errorCode') && !input.errorCode) throw new AppError('invalid_input', 'An error-code rule needs the error code it counts.', { details: { issues: [{ path: 'errorCode', message: 'required' }] } })
    input.channels.forEach((id, i) => {
      if (channelOf(id)?.practiceId !== input.practiceId) throw new AppError('invalid_input', `Alert channel ${id} is not a channel of this practice.`, { details: { issues: [{ path: `channels.${i}`, message: 'unknown channel' }] } })
    })
    return this.d.db.transaction(() => {
      const now = this.d.clock.now()
      const clash = this.s.byName.get(input.practiceId, input.name) as RuleRow | undefined
      if (clash && clash.id !== input.id) {
        throw new AppError('conflict', `A rule named "${input.name}" already exists.`, { details: { issues: [{ path: 'name', message: 'already exists' }] } })
      }
      const params = {
        ...input,
        enabled: input.enabled ? 1 : 0,
        channelsJson: JSON.stringify(input.channels),
        quietStart: input.quietHours?.start ?? null,
        quietEnd: input.quietHours?.end ?? null,
        notifyResolvedInt: input.notifyResolved ? 1 : 0,
        now,
      }
      let id = input.id
      if (id) {
        const before = this.s.get.get(id) as RuleRow | undefined
        if (!before || before.practice_id !== input.practiceId) throw new AppError('not_found', `Alert rule ${id} does not exist.`)
        this.s.update.run({ ...params, id })
      } else {
        id = randomUUID()
        this.s.insert.run({ ...params, id })
      }
      const { practiceId: _p, id: _i, ...details } = input
      this.d.audit.append({ actor, action: input.id ? 'alert_rule.update' : 'alert_rule.create', practiceId: input.practiceId, targetType: 'alert_rule', targetId: id, details })
      return toRule(this.s.get.get(id) as RuleRow)
    })()
  }

  delete(id: string, actor: string): void {
    this.d.db.transaction(() => {
      const r = this.s.get.get(id) as RuleRow | undefined
      if (!r) throw new AppError('not_found', `Alert rule ${id} does not exist.`)
      this.s.delete.run(id)
      this.d.audit.append({ actor, action: 'alert_rule.delete', practiceId: r.practice_id, targetType: 'alert_rule', targetId: id, details: { name: r.name } })
    })()
  }

  /** Measures one rule now. */
  measure(rule: AlertRule, now: number): Measurement {
    const kind = this.d.kinds.get(rule.kind)
    if (!kind) throw new AppError('config_invalid', `Alert kind "${rule.kind}" is not registered (its module is not installed).`)
    return kind.measure(rule, now)
  }

  /** Evaluates every enabled rule (of one practice, or all); returns the notifications raised. */
  evaluate(practiceId?: string): AppNotification[] {
    const now = this.d.clock.now()
    const rows = (practiceId ? this.s.enabledRulesOf.all(practiceId) : this.s.enabledRules.all()) as RuleRow[]
    const raised: AppNotification[] = []
    for (const row of rows) {
      const rule = toRule(row)
      let m: Measurement
      try {
        m = this.measure(rule, now)
      } catch (e) {
        this.d.logger.error('alert rule failed to evaluate', { rule: rule.id, code: (e as { code?: unknown }).code })
        continue
      }
      let fired: number | null = null
      let notified: number | null = null
      const link = m.link ?? null
      this.d.db.transaction(() => {
        if (m.alert && !rule.firing) {
          fired = notified = now
          raised.push(this.store(rule, rule.level, rule.name, m.message, link, false))
        } else if (m.alert && rule.repeatMinutes !== null && now - (row.last_notified_at ?? row.last_fired_at ?? now) >= rule.repeatMinutes * MINUTE) {
          notified = now
          raised.push(this.store(rule, rule.level, `Still: ${rule.name}`, m.message, link, false))
        } else if (!m.alert && rule.firing) {
          raised.push(this.store(rule, 'info', `Resolved: ${rule.name}`, m.message, link, true))
        }
        this.s.checked.run(m.alert ? 1 : 0, m.value, now, fired, notified, rule.id)
      })()
    }
    for (const n of raised) this.announce(n)
    return raised
  }

  private store(rule: AlertRule, level: AppNotification['level'], title: string, message: string, link: string | null, resolved: boolean): AppNotification {
    const n = this.insert(rule.practiceId, rule.id, level, title, message, link)
    if (rule.channels.length > 0 && (!resolved || rule.notifyResolved)) this.deliveries?.(n, rule, resolved)
    return n
  }

  private insert(practiceId: string | null, ruleId: string | null, level: AppNotification['level'], title: string, message: string, link: string | null): AppNotification {
    const n: AppNotification = { id: randomUUID(), practiceId, ruleId, level, title, message, link, at: this.d.clock.now(), readAt: null }
    this.s.notify.run(n.id, n.practiceId, n.ruleId, n.level, n.title, n.message, n.link, n.at)
    return n
  }

  private announce(n: AppNotification): void {
    this.d.logger.info('notification raised', { rule: n.ruleId, notificationLevel: n.level, practiceId: n.practiceId })
    this.d.events.emit('notifications.raised', { id: n.id, level: n.level, title: n.title, message: n.message, practiceId: n.practiceId, at: n.at })
  }

  /** A notification outside any rule (the engine's own: a full disk). */
  raise(practiceId: string | null, ruleId: string | null, level: AppNotification['level'], title: string, message: string): AppNotification {
    const n = this.insert(practiceId, ruleId, level, title, message, null)
    this.announce(n)
    return n
  }

  /** `practiceIds`: only these practices' notifications (and engine-wide ones); absent = all. */
  notifications(q: { practiceId?: string; practiceIds?: readonly string[] | null; unreadOnly: boolean; limit: number }): { items: AppNotification[]; unread: number } {
    const practiceId = q.practiceId ?? null
    const scope = q.practiceIds ? JSON.stringify(q.practiceIds) : null
    const items = (this.s.notifications.all({ practiceId, scope, unreadOnly: q.unreadOnly ? 1 : 0, limit: q.limit }) as NotificationRow[]).map(toNotification)
    return { items, unread: (this.s.unread.get({ practiceId, scope }) as { n: number }).n }
  }

  markRead(q: { ids?: string[]; practiceId?: string; practiceIds?: readonly string[] | null }): number {
    const now = this.d.clock.now()
    return this.d.db.transaction(() => {
      if (q.ids) return q.ids.reduce((a, id) => a + this.s.markRead.run(now, id).changes, 0)
      return this.s.markAllRead.run({ now, practiceId: q.practiceId ?? null, scope: q.practiceIds ? JSON.stringify(q.practiceIds) : null }).changes
    })()
  }
}

/** The kinds measured over transactions (every install has them). */
function registerTransactionKinds(kinds: AlertKinds, db: Db, queries: ConsoleQueries): void {
  const s = {
    errorsInWindow: db.prepare(`SELECT count(*) AS n FROM transactions INDEXED BY tx_practice_error_group
      WHERE practice_id = @practiceId AND status = 'error' AND error_at >= @since
        AND (@connector IS NULL OR connector = @connector) AND (@channel IS NULL OR channel = @channel)
        AND (@code IS NULL OR error_code = @code)`),
    newestGroup: db.prepare(`SELECT error_group FROM transactions INDEXED BY tx_practice_error_group
      WHERE practice_id = @practiceId AND status = 'error' AND error_at >= @since
        AND (@connector IS NULL OR connector = @connector) AND (@channel IS NULL OR channel = @channel)
        AND (@code IS NULL OR error_code = @code) ORDER BY error_at DESC LIMIT 1`),
    // What senders were told: inbound HL7 answered AR/AE (CR/CE) among everything received.
    naks: db.prepare(`SELECT count(*) AS n, sum(response GLOB 'MSH*MSA?A[RE]*' OR response GLOB 'MSH*MSA?C[RE]*') AS bad
      FROM transactions INDEXED BY tx_practice_received
      WHERE practice_id = @practiceId AND received_at >= @since AND connector = 'hl7' AND direction = 'in' AND (@channel IS NULL OR channel = @channel)`),
  }
  const window = (rule: AlertRule, now: number) => ({ practiceId: rule.practiceId, since: now - rule.windowMinutes * MINUTE, connector: rule.connector, channel: rule.channel })
  const failures = (rule: AlertRule, now: number, code: string | null): Measurement => {
    const q = { ...window(rule, now), code }
    const n = (s.errorsInWindow.get(q) as { n: number }).n
    const group = n > 0 ? (s.newestGroup.get(q) as { error_group: string | null } | undefined)?.error_group : null
    const what = code ? `failure${n === 1 ? '' : 's'} with error ${code}` : `failed transaction${n === 1 ? '' : 's'}`
    return {
      value: n,
      alert: n >= rule.threshold,
      message: `${n} ${what} in the last ${rule.windowMinutes} min on ${scopeLabel(rule)} (threshold ${rule.threshold}).`,
      link: group ? consoleLink('/errors', { practiceId: rule.practiceId, group }) : consoleLink('/transactions', { practiceId: rule.practiceId, status: 'error', channel: rule.channel }),
    }
  }
  kinds.register({
    kind: 'error_count',
    label: 'Failures',
    description: 'At least `threshold` transactions failed in the last `windowMinutes`.',
    uses: ['threshold', 'windowMinutes', 'connector', 'channel'],
    thresholdLabel: 'failures',
    measure: (rule, now) => failures(rule, now, null),
  })
  kinds.register({
    kind: 'error_code',
    label: 'A given error',
    description: 'At least `threshold` failures with one error code (e.g. code_map_miss) in the last `windowMinutes`.',
    uses: ['threshold', 'windowMinutes', 'connector', 'channel', 'errorCode'],
    thresholdLabel: 'failures',
    measure: (rule, now) => failures(rule, now, rule.errorCode),
  })
  kinds.register({
    kind: 'nak_rate',
    label: 'AR/AE rate',
    description: 'The share of inbound HL7 messages answered AR or AE (CR/CE) in the last `windowMinutes` reaches `threshold` %.',
    uses: ['threshold', 'windowMinutes', 'channel'],
    thresholdLabel: '% of messages',
    measure: (rule, now) => {
      const r = s.naks.get(window(rule, now)) as { n: number; bad: number | null }
      const pct = r.n === 0 ? 0 : Math.round(((r.bad ?? 0) * 100) / r.n)
      return {
        value: pct,
        alert: r.n > 0 && pct >= rule.threshold,
        message: `${r.bad ?? 0} of ${r.n} inbound HL7 message${r.n === 1 ? '' : 's'} (${pct} %) answered AR/AE in the last ${rule.windowMinutes} min on ${scopeLabel(rule)} (threshold ${rule.threshold} %).`,
        link: consoleLink('/transactions', { practiceId: rule.practiceId, connector: 'hl7', channel: rule.channel, status: 'error' }),
      }
    },
  })
  kinds.register({
    kind: 'inactivity',
    label: 'Silence',
    description: 'Nothing received for `windowMinutes`.',
    uses: ['windowMinutes', 'connector', 'channel'],
    thresholdLabel: null,
    measure: (rule, now) => {
      const lanes = queries.facets(rule.practiceId).filter((l) => (!rule.connector || l.connector === rule.connector) && (!rule.channel || l.channel === rule.channel))
      const last = lanes.reduce<number | null>((a, l) => (l.lastReceivedAt !== null && (a === null || l.lastReceivedAt > a) ? l.lastReceivedAt : a), null)
      // Never received anything: silent since the rule was set up.
      const since = Math.max(last ?? 0, rule.updatedAt)
      const minutes = Math.floor((now - since) / MINUTE)
      const scope = scopeLabel(rule)
      return {
        value: minutes,
        alert: now - since >= rule.windowMinutes * MINUTE,
        message: last === null ? `Nothing received on ${scope} yet (limit ${rule.windowMinutes} min).` : `Nothing received on ${scope} for ${minutes} min (limit ${rule.windowMinutes} min).`,
        link: consoleLink('/connections', { practiceId: rule.practiceId }),
      }
    },
  })
  kinds.register({
    kind: 'queue_depth',
    label: 'Backlog',
    description: 'At least `threshold` transactions waiting to be processed or sent.',
    uses: ['threshold', 'connector', 'channel'],
    thresholdLabel: 'transactions waiting',
    measure: (rule) => {
      const n = queries
        .pendingByLane(rule.practiceId)
        .filter((l) => (!rule.connector || l.connector === rule.connector) && (!rule.channel || l.channel === rule.channel))
        .reduce((a, l) => a + l.n, 0)
      return {
        value: n,
        alert: n >= rule.threshold,
        message: `${n} transaction${n === 1 ? '' : 's'} waiting on ${scopeLabel(rule)} (threshold ${rule.threshold}).`,
        link: consoleLink('/transactions', { practiceId: rule.practiceId, status: 'received,queued,processing', connector: rule.connector, channel: rule.channel }),
      }
    },
  })
}
