/**
 * Copies of the audit checkpoint outside this machine's control, for whoever keeps the SIEM: an
 * RFC 5424 message to a syslog receiver (UDP, or TCP with RFC 6587 octet counting) and/or one
 * JSON line appended to a file the operator chose. Each new checkpoint and each failed
 * verification is sent; a receiver that is down is logged and counted, never waited on for long.
 */
import dgram from 'node:dgram'
import { appendFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import net from 'node:net'
import type { SystemSettings } from '../../../shared/config'
import type { Checkpoint } from './audit-log'

export type AnchorRecord =
  | { type: 'checkpoint'; install: string; checkpoint: Checkpoint }
  | { type: 'integrity_failure'; install: string; at: number; firstBrokenSeq: number | null; reason: string }

type SyslogTarget = NonNullable<SystemSettings['auditExport']['syslog']>

/** RFC 5424 SD-PARAM-VALUE escaping: `"`, `\` and `]`. */
const sd = (v: string | number): string => String(v).replace(/["\\\]]/g, (c) => `\\${c}`)

/** One RFC 5424 message (no framing). 32473 is the documentation enterprise number of RFC 5612. */
export function syslogMessage(r: AnchorRecord, t: Pick<SyslogTarget, 'facility' | 'appName'>, host = hostname()): string {
  const severity = r.type === 'checkpoint' ? 6 : 2 // informational / critical
  const at = r.type === 'checkpoint' ? r.checkpoint.at : r.at
  const params =
    r.type === 'checkpoint'
      ? `seq="${sd(r.checkpoint.seq)}" hash="${sd(r.checkpoint.hash)}" at="${sd(r.checkpoint.at)}" mac="${sd(r.checkpoint.mac)}"`
      : `firstBrokenSeq="${sd(r.firstBrokenSeq ?? '')}" reason="${sd(r.reason)}"`
  const msgId = r.type === 'checkpoint' ? 'audit-checkpoint' : 'audit-broken'
  const text = r.type === 'checkpoint' ? `audit checkpoint at entry ${r.checkpoint.seq}` : `audit trail verification FAILED: ${r.reason}`
  const hostField = host.replace(/[^!-~]/g, '').slice(0, 255) || '-'
  return `<${t.facility * 8 + severity}>1 ${new Date(at).toISOString()} ${hostField} ${t.appName} ${process.pid} ${msgId} [psAudit@32473 install="${sd(r.install)}" ${params}] ${text}`
}

export async function sendSyslog(t: SyslogTarget, message: string, timeoutMs = 5000): Promise<void> {
  const payload = Buffer.from(message, 'utf8')
  if (t.protocol === 'udp') {
    const socket = dgram.createSocket(net.isIPv6(t.host) ? 'udp6' : 'udp4')
    try {
      await new Promise<void>((resolve, reject) => socket.send(payload, t.port, t.host, (e) => (e ? reject(e) : resolve())))
    } finally {
      socket.close()
    }
    return
  }
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: t.host, port: t.port })
    const timer = setTimeout(() => s.destroy(new Error(`syslog ${t.host}:${t.port} did not accept the message in ${timeoutMs} ms`)), timeoutMs)
    s.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    s.once('connect', () => {
      // RFC 6587 octet counting: "<length> <message>", so a message may hold any character.
      s.end(Buffer.concat([Buffer.from(`${payload.length} `), payload]), () => {
        clearTimeout(timer)
        resolve()
      })
    })
  })
}

export class AnchorExporter {
  /** Failures so far, shown in the integrity service's status. */
  failures = 0
  lastError: string | null = null

  constructor(private readonly settings: () => SystemSettings['auditExport']) {}

  /** Sends `r` to every configured target; resolves when all have been tried (errors are kept, not thrown). */
  async export(r: AnchorRecord): Promise<void> {
    const s = this.settings()
    const jobs: Promise<void>[] = []
    if (s.syslog) jobs.push(sendSyslog(s.syslog, syslogMessage(r, s.syslog)))
    if (s.file) jobs.push(appendFile(s.file, JSON.stringify(r) + '\n', { mode: 0o600 }))
    const results = await Promise.allSettled(jobs)
    const failed = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')
    if (failed.length) {
      this.failures += failed.length
      this.lastError = failed.map((f) => (f.reason as Error).message).join('; ')
    } else if (jobs.length) this.lastError = null
  }
}
