/**
 * The audit checkpoint leaves the machine's control: every new checkpoint and every failed
 * verification goes to an RFC 5424 syslog receiver (UDP, or TCP with octet counting) and/or a
 * file the operator chose. Real sockets on loopback; the receivers are the test's own.
 */
import dgram from 'node:dgram'
import { mkdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/store/database'
import { openTestEngine, tempDir, waitFor, type TestEngine } from './support/harness'

const RFC5424 = /^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) \[psAudit@32473 ([^\]]*)\] (.*)$/

function udpReceiver(): Promise<{ port: number; messages: string[]; close(): void }> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4')
    const messages: string[] = []
    s.on('message', (m) => messages.push(m.toString('utf8')))
    s.bind(0, '127.0.0.1', () => resolve({ port: s.address().port, messages, close: () => s.close() }))
  })
}

/** A TCP receiver that splits RFC 6587 octet-counted frames. */
function tcpReceiver(): Promise<{ port: number; messages: string[]; close(): void }> {
  return new Promise((resolve) => {
    const messages: string[] = []
    const server = net.createServer((c) => {
      let buf = Buffer.alloc(0)
      c.on('data', (d) => {
        buf = Buffer.concat([buf, d])
        for (;;) {
          const sp = buf.indexOf(0x20)
          if (sp < 0) return
          const len = Number(buf.subarray(0, sp).toString())
          if (buf.length < sp + 1 + len) return
          messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'))
          buf = buf.subarray(sp + 1 + len)
        }
      })
    })
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as net.AddressInfo).port, messages, close: () => server.close() }))
  })
}

describe('checkpoint export', () => {
  let t: TestEngine | null = null
  const closers: (() => void)[] = []
  afterEach(async () => {
    await t?.stop()
    t = null
    for (const c of closers.splice(0)) c()
  })

  it('sends each new checkpoint to syslog (UDP and TCP) and the file, and a failed verification as critical', async () => {
    const udp = await udpReceiver()
    const tcp = await tcpReceiver()
    closers.push(udp.close, tcp.close)
    const dir = tempDir()
    const file = join(dir, 'anchors', 'audit-anchors.jsonl')
    t = await openTestEngine()
    const settings = await t.call<Record<string, unknown>>('system.settings')
    // The file's folder must exist; the engine appends, never creates folders it was not given.
    mkdirSync(join(dir, 'anchors'))
    await t.call('system.saveSettings', { ...settings, auditExport: { syslog: { host: '127.0.0.1', port: udp.port, protocol: 'udp' }, file } })
    await t.call('audit.verify')
    await waitFor(() => udp.messages.length >= 1, 'a UDP checkpoint message')
    const [udpMsg] = udp.messages
    const m = RFC5424.exec(udpMsg)
    expect(m, udpMsg).not.toBeNull()
    expect(Number(m![1])).toBe(13 * 8 + 6) // facility log audit, informational
    expect(m![4]).toBe('practice-studio')
    expect(m![6]).toBe('audit-checkpoint')
    const anchor = JSON.parse((await t.store.get('audit-anchor'))!) as { seq: number; hash: string; mac: string }
    expect(m![7]).toContain(`seq="${anchor.seq}"`)
    expect(m![7]).toContain(`hash="${anchor.hash}"`)
    expect(m![7]).toContain(`mac="${anchor.mac}"`)
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; checkpoint: { seq: number; hash: string } })
    expect(lines.at(-1)).toMatchObject({ type: 'checkpoint', checkpoint: { seq: anchor.seq, hash: anchor.hash } })

    // TCP: the next checkpoint (the settings change and the verification above added entries).
    await t.call('system.saveSettings', { ...settings, auditExport: { syslog: { host: '127.0.0.1', port: tcp.port, protocol: 'tcp', facility: 10 }, file } })
    await t.call('audit.verify')
    await waitFor(() => tcp.messages.length >= 1, 'a TCP checkpoint message')
    expect(RFC5424.exec(tcp.messages[0])![1]).toBe(String(10 * 8 + 6))

    // Tampering: the failure is exported as critical, to both targets.
    const db = openDatabase({ file: t.dbFile, keyHex: (await t.store.get('db-key'))! })
    db.exec('DROP TRIGGER audit_no_update')
    db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()
    db.close()
    await t.call('audit.verify')
    await waitFor(() => tcp.messages.some((x) => x.includes('audit-broken')), 'the failure over TCP')
    const broken = RFC5424.exec(tcp.messages.find((x) => x.includes('audit-broken'))!)!
    expect(Number(broken[1])).toBe(10 * 8 + 2)
    expect(broken[7]).toContain('firstBrokenSeq="2"')
    await waitFor(() => readFileSync(file, 'utf8').includes('integrity_failure'), 'the failure in the file')
  })

  it('a receiver that is down is reported in the status, and checkpoints are still kept', async () => {
    const closed = await tcpReceiver()
    closed.close()
    t = await openTestEngine()
    const settings = await t.call<Record<string, unknown>>('system.settings')
    await t.call('system.saveSettings', { ...settings, auditExport: { syslog: { host: '127.0.0.1', port: closed.port, protocol: 'tcp' }, file: null } })
    const v = await t.call<{ ok: boolean; anchor: { seq: number } }>('audit.verify')
    expect(v.ok).toBe(true)
    const s = await t.call<{ audit: { exportError: string | null }; engines: { name: string; state: string }[] }>('system.status')
    expect(s.audit.exportError).toMatch(/ECONNREFUSED/)
    expect(s.engines.find((e) => e.name === 'audit-integrity')?.state).toBe('degraded')
    expect(JSON.parse((await t.store.get('audit-anchor'))!).seq).toBe(v.anchor.seq)
  })

  it('refuses settings that are not valid (relative file path, bad protocol) with field errors', async () => {
    t = await openTestEngine()
    const settings = await t.call<Record<string, unknown>>('system.settings')
    const r = await t.callRaw('system.saveSettings', { ...settings, auditExport: { syslog: { host: 'siem', protocol: 'http' }, file: 'relative/anchors.log' } })
    expect(r.ok).toBe(false)
    const paths = (!r.ok && (r.error.details as { issues: { path: string }[] }).issues.map((i) => i.path)) || []
    expect(paths).toEqual(expect.arrayContaining(['auditExport.syslog.protocol', 'auditExport.file']))
  })
})
