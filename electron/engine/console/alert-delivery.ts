/**
 * Notifications delivered outside the console: e-mail over SMTP (nodemailer; STARTTLS or TLS from
 * the first byte, the password in the keychain) and a signed webhook (JSON, HMAC-SHA256 over
 * `<timestamp>.<body>` in a header, for chat tools and pagers).
 *
 * A delivery is a row (`alert_deliveries`) written in the same transaction as its notification,
 * so a restart resumes it; the service sends what is due, one at a time, and retries a failure
 * with capped exponential backoff until it is sent or out of attempts (then `failed`, and a
 * warning in the bell). A rule's quiet hours (the practice's time zone) set the first attempt to
 * the end of the quiet window. Each notification links to the console page that shows its cause.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import nodemailer from 'nodemailer'
import {
  emailChannelConfigSchema,
  webhookChannelConfigSchema,
  type AlertChannel,
  type AlertChannelInput,
  type AlertRule,
  type AppNotification,
} from '../../../shared/api/alerts'
import { AppError, isAppError } from '../../../shared/errors'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { Service, ServiceStatus } from '../core/service'
import type { PracticesRepo } from '../practices/practices-repo'
import type { SecretName, SecretStore } from '../secrets/secret-store'
import type { Db } from '../store/database'
import { consoleAddress } from './alert-kinds'
import type { Alerts } from './alerts'

type EmailConfig = ReturnType<typeof emailChannelConfigSchema.parse>
type WebhookConfig = ReturnType<typeof webhookChannelConfigSchema.parse>

interface ChannelRow {
  id: string
  practice_id: string
  name: string
  kind: 'email' | 'webhook'
  config: string
  created_at: number
  updated_at: number
}

interface DeliveryRow {
  id: number
  notification_id: string
  channel_id: string
  practice_id: string
  status: 'pending' | 'sent' | 'failed'
  attempts: number
  next_attempt_at: number
  last_error: string | null
  created_at: number
  sent_at: number | null
}

const EMAIL_MAX_ATTEMPTS = 8
const BACKOFF_BASE_MS = 5_000
const BACKOFF_CAP_MS = 30 * 60_000
const SEND_TIMEOUT_MS = 20_000

const secretOf = (c: { id: string; kind: 'email' | 'webhook' }): SecretName => (c.kind === 'email' ? `alert-channel:${c.id}:password` : `alert-channel:${c.id}:secret`)

/** Minutes since local midnight in a zone. */
function localMinutes(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at)
  const h = Number(parts.find((p) => p.type === 'hour')?.value ?? 0)
  const m = Number(parts.find((p) => p.type === 'minute')?.value ?? 0)
  return h * 60 + m
}

const hm = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5))

/**
 * When a delivery raised at `at` may go: `at`, or the end of the rule's quiet window when `at`
 * falls inside it (a window may span midnight: 22:00–07:00). Counted in local minutes, so a
 * daylight-saving change inside the window moves its end by that hour.
 */
export function afterQuietHours(at: number, quiet: { start: string; end: string } | null, timeZone: string): number {
  if (!quiet) return at
  const now = localMinutes(at, timeZone)
  const s = hm(quiet.start)
  const e = hm(quiet.end)
  const inside = s === e ? false : s < e ? now >= s && now < e : now >= s || now < e
  if (!inside) return at
  const wait = (e - now + 1440) % 1440
  return at - (at % 60_000) + wait * 60_000
}

export class AlertChannels {
  private readonly s

  constructor(private readonly d: { db: Db; secrets: SecretStore; audit: AuditLog; clock: Clock }) {
    const db = d.db
    this.s = {
      list: db.prepare('SELECT * FROM alert_channels WHERE practice_id = ? ORDER BY name COLLATE NOCASE'),
      get: db.prepare('SELECT * FROM alert_channels WHERE id = ?'),
      byName: db.prepare('SELECT id FROM alert_channels WHERE practice_id = ? AND name = ?'),
      insert: db.prepare('INSERT INTO alert_channels (id, practice_id, name, kind, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE alert_channels SET name = ?, kind = ?, config = ?, updated_at = ? WHERE id = ?'),
      delete: db.prepare('DELETE FROM alert_channels WHERE id = ?'),
    }
  }

  row(id: string): ChannelRow | null {
    return (this.s.get.get(id) as ChannelRow | undefined) ?? null
  }

  private async view(r: ChannelRow): Promise<AlertChannel> {
    return {
      id: r.id,
      practiceId: r.practice_id,
      name: r.name,
      kind: r.kind,
      config: JSON.parse(r.config) as AlertChannel['config'],
      secretSet: (await this.d.secrets.get(secretOf(r))) !== null,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }
  }

  async list(practiceId: string): Promise<AlertChannel[]> {
    return Promise.all((this.s.list.all(practiceId) as ChannelRow[]).map((r) => this.view(r)))
  }

  async save(input: AlertChannelInput, actor: string): Promise<AlertChannel> {
    const now = this.d.clock.now()
    const clash = this.s.byName.get(input.practiceId, input.name) as { id: string } | undefined
    if (clash && clash.id !== input.id) throw new AppError('conflict', `A channel named "${input.name}" already exists.`, { details: { issues: [{ path: 'name', message: 'already exists' }] } })
    if (input.kind === 'email' && input.config.security === 'none' && !/^(127\.|localhost$|::1$)/.test(input.config.host)) {
      throw new AppError('invalid_input', 'Mail without TLS would carry alerts in the clear: use STARTTLS or TLS for a server that is not on this machine.', { details: { issues: [{ path: 'config.security', message: 'TLS required off loopback' }] } })
    }
    let id = input.id
    if (id) {
      const before = this.row(id)
      if (!before || before.practice_id !== input.practiceId) throw new AppError('not_found', `Alert channel ${id} does not exist.`)
      this.s.update.run(input.name, input.kind, JSON.stringify(input.config), now, id)
    } else {
      id = randomUUID()
      this.s.insert.run(id, input.practiceId, input.name, input.kind, JSON.stringify(input.config), now, now)
    }
    const secret = input.kind === 'email' ? input.password : input.secret
    const name = secretOf({ id, kind: input.kind })
    if (secret === null) await this.d.secrets.delete(name)
    else if (secret !== undefined) await this.d.secrets.set(name, secret)
    const recipients = input.kind === 'email' ? input.config.to.length : null
    this.d.audit.append({
      actor,
      action: input.id ? 'alert_channel.update' : 'alert_channel.create',
      practiceId: input.practiceId,
      targetType: 'alert_channel',
      targetId: id,
      details: { name: input.name, kind: input.kind, ...(input.kind === 'email' ? { host: input.config.host, port: input.config.port, security: input.config.security, recipients } : { url: new URL(input.config.url).origin }), secret: secret === undefined ? 'unchanged' : secret === null ? 'removed' : 'set' },
    })
    return this.view(this.row(id) as ChannelRow)
  }

  async delete(id: string, actor: string): Promise<void> {
    const r = this.row(id)
    if (!r) throw new AppError('not_found', `Alert channel ${id} does not exist.`)
    this.s.delete.run(id)
    await this.d.secrets.delete(secretOf(r))
    this.d.audit.append({ actor, action: 'alert_channel.delete', practiceId: r.practice_id, targetType: 'alert_channel', targetId: id, details: { name: r.name } })
  }
}

export interface AlertMessage {
  subject: string
  text: string
  /** The full address of the console page, when the channel knows the console's address. */
  url: string | null
  notification: AppNotification
}

/** One attempt at one channel; throws an AppError with a retryable flag. */
export async function sendTo(channel: ChannelRow, secret: string | null, m: AlertMessage, fetchImpl: typeof fetch, now: number): Promise<string> {
  if (channel.kind === 'email') {
    const c: EmailConfig = emailChannelConfigSchema.parse(JSON.parse(channel.config))
    const transport = nodemailer.createTransport({
      host: c.host,
      port: c.port,
      secure: c.security === 'tls',
      requireTLS: c.security === 'starttls',
      ignoreTLS: c.security === 'none',
      ...(c.username ? { auth: { user: c.username, pass: secret ?? '' } } : {}),
      tls: { minVersion: 'TLSv1.2', ...(c.caFile ? { ca: readFileSync(c.caFile) } : {}) },
      connectionTimeout: SEND_TIMEOUT_MS,
      greetingTimeout: SEND_TIMEOUT_MS,
      socketTimeout: SEND_TIMEOUT_MS,
    })
    try {
      const info = await transport.sendMail({
        from: c.from,
        to: c.to,
        subject: m.subject,
        text: m.url ? `${m.text}\n\nOpen in the console: ${m.url}\n` : `${m.text}\n`,
        headers: { 'X-PracticeStudio-Notification': m.notification.id },
      })
      return `accepted by ${c.host} (${info.messageId})`
    } catch (e) {
      const err = e as { code?: string; responseCode?: number; message?: string }
      // 5xx from the server (a refused recipient, bad credentials) will not get better by itself.
      const permanent = err.code === 'EAUTH' || (typeof err.responseCode === 'number' && err.responseCode >= 500)
      throw new AppError(err.code === 'EAUTH' ? 'auth_failed' : permanent ? 'remote_rejected' : 'network_error', `SMTP ${c.host}:${c.port}: ${err.code ?? ''} ${err.responseCode ?? ''} ${(err.message ?? '').slice(0, 200)}`.replace(/\s+/g, ' '), { retryable: !permanent })
    } finally {
      transport.close()
    }
  }
  const c: WebhookConfig = webhookChannelConfigSchema.parse(JSON.parse(channel.config))
  if (!secret) throw new AppError('config_invalid', `Webhook channel "${channel.name}" has no signing secret.`, { retryable: false })
  const n = m.notification
  const body = JSON.stringify({ id: n.id, practiceId: n.practiceId, ruleId: n.ruleId, level: n.level, title: n.title, message: n.message, at: new Date(n.at).toISOString(), link: m.url ?? n.link })
  const ts = String(Math.floor(now / 1000))
  const sig = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')
  let res: Response
  try {
    res = await fetchImpl(c.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [c.signatureHeader]: `sha256=${sig}`, 'X-PracticeStudio-Timestamp': ts, 'X-PracticeStudio-Delivery': n.id },
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    })
  } catch (e) {
    throw new AppError('network_error', `Webhook ${new URL(c.url).origin}: ${(e as Error).name}`, { retryable: true })
  }
  if (res.ok) return `HTTP ${res.status}`
  // 4xx other than 408/429 means the receiver refuses this request as it is.
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429
  throw new AppError(retryable ? 'remote_error' : 'remote_rejected', `Webhook ${new URL(c.url).origin} answered HTTP ${res.status}`, { retryable })
}

export class AlertDelivery implements Service {
  readonly name = 'alert-delivery'
  private readonly s
  private abort: AbortController | null = null
  private loop: Promise<void> | null = null
  private wake: (() => void) | null = null
  private lastError: string | null = null

  constructor(
    private readonly d: {
      db: Db
      alerts: Alerts
      channels: AlertChannels
      practices: PracticesRepo
      secrets: SecretStore
      clock: Clock
      logger: Logger
      fetch?: typeof fetch
      /** How often due deliveries are looked for when nothing wakes the loop; default 5 s. */
      pollMs?: number
    },
  ) {
    const db = d.db
    this.s = {
      enqueue: db.prepare(`INSERT INTO alert_deliveries (notification_id, channel_id, practice_id, status, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`),
      due: db.prepare(`SELECT * FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 20`),
      notification: db.prepare('SELECT * FROM notifications WHERE id = ?'),
      sent: db.prepare(`UPDATE alert_deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?`),
      retry: db.prepare(`UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`),
      failed: db.prepare(`UPDATE alert_deliveries SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`),
      list: db.prepare('SELECT * FROM alert_deliveries WHERE practice_id = ? ORDER BY id DESC LIMIT ?'),
    }
    d.alerts.onNotify((n, rule) => this.enqueue(n, rule))
  }

  /** Inside the notification's transaction: one pending row per channel, from the end of the quiet hours. */
  private enqueue(n: AppNotification, rule: AlertRule): void {
    const tz = this.d.practices.find(rule.practiceId)?.timeZone ?? 'America/New_York'
    const at = afterQuietHours(n.at, rule.quietHours, tz)
    for (const ch of rule.channels) if (this.d.channels.row(ch)) this.s.enqueue.run(n.id, ch, rule.practiceId, at, n.at)
    queueMicrotask(() => this.wake?.())
  }

  deliveries(practiceId: string, limit: number) {
    return (this.s.list.all(practiceId, limit) as DeliveryRow[]).map((r) => ({
      id: r.id,
      notificationId: r.notification_id,
      channelId: r.channel_id,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
      lastError: r.last_error,
      createdAt: r.created_at,
      sentAt: r.sent_at,
    }))
  }

  private message(n: AppNotification, channel: ChannelRow): AlertMessage {
    const cfg = JSON.parse(channel.config) as { consoleUrl?: string | null }
    const base = cfg.consoleUrl ? cfg.consoleUrl.replace(/#.*$/, '').replace(/\/?$/, '/') : null
    const url = base && n.link ? consoleAddress(base, n.link) : base
    const practice = n.practiceId ? (this.d.practices.find(n.practiceId)?.name ?? n.practiceId) : 'all practices'
    return {
      subject: `[Practice Studio] ${n.level === 'error' ? 'ALERT' : n.level === 'warning' ? 'Warning' : 'Info'}: ${n.title} (${practice})`,
      text: `${n.title}\n${n.message}\n\nPractice: ${practice}\nAt: ${new Date(n.at).toISOString()}`,
      url,
      notification: n,
    }
  }

  /** Sends a test notification through one channel now. */
  async test(channelId: string): Promise<{ ok: boolean; detail: string }> {
    const ch = this.d.channels.row(channelId)
    if (!ch) throw new AppError('not_found', `Alert channel ${channelId} does not exist.`)
    const now = this.d.clock.now()
    const n: AppNotification = { id: randomUUID(), practiceId: ch.practice_id, ruleId: null, level: 'info', title: 'Test notification', message: `A test of the alert channel "${ch.name}".`, link: '/', at: now, readAt: null }
    try {
      return { ok: true, detail: await sendTo(ch, await this.d.secrets.get(secretOf(ch)), this.message(n, ch), this.d.fetch ?? fetch, now) }
    } catch (e) {
      return { ok: false, detail: isAppError(e) ? e.message : (e as Error).name }
    }
  }

  private draining: Promise<number> = Promise.resolve(0)

  /**
   * Sends every delivery that is due; one at a time, so a slow server delays but never floods.
   * Calls queue behind each other, so one row is never sent twice by overlapping runs.
   */
  runDue(): Promise<number> {
    const run = this.draining.then(
      () => this.drain(),
      () => this.drain(),
    )
    this.draining = run
    return run
  }

  private async drain(): Promise<number> {
    let sent = 0
    for (;;) {
      const now = this.d.clock.now()
      const rows = this.s.due.all(now) as DeliveryRow[]
      if (rows.length === 0) return sent
      for (const r of rows) {
        const ch = this.d.channels.row(r.channel_id)
        const n = this.s.notification.get(r.notification_id) as (Omit<AppNotification, 'practiceId' | 'ruleId' | 'readAt'> & { practice_id: string | null; rule_id: string | null; read_at: number | null }) | undefined
        if (!ch || !n) {
          this.s.failed.run('channel or notification deleted', r.id)
          continue
        }
        const notification: AppNotification = { id: n.id, practiceId: n.practice_id, ruleId: n.rule_id, level: n.level, title: n.title, message: n.message, link: n.link, at: n.at, readAt: n.read_at }
        try {
          const detail = await sendTo(ch, await this.d.secrets.get(secretOf(ch)), this.message(notification, ch), this.d.fetch ?? fetch, this.d.clock.now())
          this.s.sent.run(this.d.clock.now(), r.id)
          this.d.logger.info('alert delivered', { channel: ch.id, kind: ch.kind, notification: n.id, detail: ch.kind === 'webhook' ? detail : 'accepted' })
          sent++
        } catch (e) {
          const err = isAppError(e) ? e : new AppError('internal', (e as Error).name)
          const max = ch.kind === 'webhook' ? webhookChannelConfigSchema.parse(JSON.parse(ch.config)).maxAttempts : EMAIL_MAX_ATTEMPTS
          const attempt = r.attempts + 1
          if (err.retryable && attempt < max) {
            const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1))
            this.s.retry.run(this.d.clock.now() + delay, err.message, r.id)
            this.d.logger.warn('alert delivery failed; retrying', { channel: ch.id, kind: ch.kind, attempt, code: err.code, delayMs: delay })
          } else {
            this.s.failed.run(err.message, r.id)
            this.d.logger.error('alert delivery failed for good', { channel: ch.id, kind: ch.kind, attempt, code: err.code })
            this.d.alerts.raise(r.practice_id, null, 'warning', `Alert not delivered: ${ch.name}`, `"${n.title}" could not be delivered through ${ch.kind === 'email' ? 'e-mail' : 'the webhook'} "${ch.name}" after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${err.message}`)
          }
        }
      }
    }
  }

  async start(): Promise<void> {
    if (this.loop) return
    const abort = new AbortController()
    this.abort = abort
    const poll = this.d.pollMs ?? 5_000
    this.loop = (async () => {
      while (!abort.signal.aborted) {
        try {
          await this.runDue()
          this.lastError = null
        } catch (e) {
          this.lastError = (e as Error).name
          this.d.logger.error('alert delivery loop failed', { error: this.lastError })
        }
        // Woken early by a new notification; otherwise polls for retries and quiet hours ending.
        await new Promise<void>((resolve) => {
          const ac = new AbortController()
          const done = (): void => {
            this.wake = null
            ac.abort()
            resolve()
          }
          this.wake = done
          abort.signal.addEventListener('abort', done, { once: true })
          this.d.clock.sleep(poll, ac.signal).then(done, () => undefined)
        })
      }
    })()
  }

  async stop(): Promise<void> {
    this.abort?.abort()
    await this.loop
    this.loop = null
  }

  status(): ServiceStatus {
    if (!this.loop) return { name: this.name, state: 'stopped' }
    if (this.lastError) return { name: this.name, state: 'degraded', detail: `last run failed: ${this.lastError}` }
    return { name: this.name, state: 'running', detail: 'delivers notifications by e-mail and webhook' }
  }
}
