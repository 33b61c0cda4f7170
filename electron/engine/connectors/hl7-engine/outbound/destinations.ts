/**
 * One MLLP sender per outbound destination (one message in flight each; the pipeline's
 * per-destination lane feeds it one transaction at a time). A sender is replaced when its
 * destination's connection settings change and closed when the destination goes away.
 */
import { AppError } from '../../../../../shared/errors'
import type { Clock } from '../../../core/clock'
import type { Logger } from '../../../core/logger'
import { loadTlsCredentials } from '../../../core/tls-files'
import { MllpSender, type MllpTlsOptions } from '../../hl7'
import type { OutboundDestination } from '../interfaces'

/** `folders`: where TLS files may be read from (core/tls-files.ts tlsFolders). */
export function senderTls(dest: OutboundDestination, folders: readonly string[]): MllpTlsOptions | undefined {
  const t = dest.config.tls
  if (!t.enabled) return undefined
  if ((t.certFile === null) !== (t.keyFile === null)) throw new AppError('config_invalid', 'A client certificate needs both certFile and keyFile.', { retryable: false })
  return { ...loadTlsCredentials(t, folders, { optionalPair: true }), rejectUnauthorized: true }
}

export function createSender(dest: OutboundDestination, clock: Clock, logger: Logger, folders: readonly string[]): MllpSender {
  const c = dest.config
  const tls = senderTls(dest, folders)
  return new MllpSender({
    host: c.host,
    port: c.port,
    ...(tls ? { tls } : {}),
    connectTimeoutMs: c.connectTimeoutMs,
    responseTimeoutMs: c.responseTimeoutMs,
    clock,
    logger: logger.child({ destination: dest.name, practiceId: dest.practiceId }),
  })
}

export class DestinationSenders {
  private readonly senders = new Map<string, { key: string; sender: MllpSender }>()

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly folders: readonly string[],
  ) {}

  private keyOf(dest: OutboundDestination): string {
    const c = dest.config
    return JSON.stringify([c.host, c.port, c.tls, c.connectTimeoutMs, c.responseTimeoutMs])
  }

  get(dest: OutboundDestination): MllpSender {
    const key = this.keyOf(dest)
    const cur = this.senders.get(dest.id)
    if (cur && cur.key === key) return cur.sender
    if (cur) void cur.sender.close()
    const sender = createSender(dest, this.clock, this.logger, this.folders)
    this.senders.set(dest.id, { key, sender })
    return sender
  }

  connected(destId: string): boolean {
    return this.senders.get(destId)?.sender.connected ?? false
  }

  /** Closes the senders of destinations that no longer exist (or changed), keeping the rest. */
  async retain(dests: readonly OutboundDestination[]): Promise<void> {
    const wanted = new Map(dests.filter((d) => d.enabled).map((d) => [d.id, this.keyOf(d)]))
    for (const [id, s] of this.senders) {
      if (wanted.get(id) === s.key) continue
      this.senders.delete(id)
      await s.sender.close()
    }
  }

  /** Set from closeAll() until reopen(): lanes hold their rows (outbound-handler.ts held()). */
  closing = false

  reopen(): void {
    this.closing = false
  }

  /**
   * Closes every sender. A message in flight is given up to `graceMs` to get its ACK first:
   * closing under it would fail a message the peer may have taken, and send it again after the
   * restart. Meanwhile `closing` holds the lanes, so no new message starts.
   */
  async closeAll(graceMs = 0): Promise<void> {
    this.closing = true
    const until = this.clock.monotonic() + graceMs
    while ([...this.senders.values()].some((s) => s.sender.busy) && this.clock.monotonic() < until) await this.clock.sleep(10)
    const all = [...this.senders.values()]
    this.senders.clear()
    await Promise.all(all.map((s) => s.sender.close()))
  }
}
