/**
 * FTPS against a real vsftpd (explicit TLS, forced on control and data): the certificate is
 * refused until accepted, every connectivity step passes once it is pinned, a job picks a file up
 * (claim, processed/, rows applied) and an outbound drop writes a temporary name and renames it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OutboundFileKind } from '../../../electron/engine/connectors/files'
import { startVsftpd, type VsftpdServer } from '../../support/vsftpd-server'
import { csvFile, openFilesEngine, patientRow, PRACTICE, type FilesTestEngine } from './support'

interface Step {
  step: string
  ok: boolean
  error?: { code: string; message: string }
}

const exportKind: OutboundFileKind = {
  kind: 'test-export',
  direction: 'outbound',
  label: 'test export',
  defaultMappingKey: null,
  async produce() {
    return { content: Buffer.from('a,b\r\n1,2\r\n'), rows: 1, contentType: 'csv' }
  },
}

describe('FTPS locations (real vsftpd, explicit TLS)', () => {
  let ftp: VsftpdServer
  let t: FilesTestEngine
  let conn: string

  beforeAll(async () => {
    ftp = await startVsftpd()
    t = await openFilesEngine({ module: { kinds: [exportKind] } })
  })
  afterAll(async () => {
    await t?.close()
    await ftp?.stop()
  })

  it('refuses the certificate until its fingerprint is accepted, then passes every step', async () => {
    conn = (await t.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'ftps', name: 'ftps-test', config: { host: ftp.host, port: ftp.port, tlsMode: 'explicit', scratchFolder: '.psc-probe' } })).id
    const first = await t.call<{ ok: boolean; steps: Step[] }>('connections.test', { id: conn })
    expect(first.ok).toBe(false)
    expect(first.steps.at(-1)).toMatchObject({ step: 'handshake', ok: false, error: { code: 'identity_unknown' } })
    const id = await t.call<{ fingerprint: string; kind: string }>('files.identity', { connectionId: conn })
    expect(id).toMatchObject({ kind: 'tls-certificate', fingerprint: ftp.fingerprint })
    await t.call('files.trustIdentity', { connectionId: conn, fingerprint: id.fingerprint })
    const second = await t.call<{ ok: boolean; steps: Step[] }>('connections.test', { id: conn })
    expect(second.steps.map((s) => [s.step, s.ok])).toEqual([
      ['dns', true],
      ['tcp', true],
      ['handshake', true],
      ['login', true],
      ['list', true],
      ['probe', true],
    ])
  })

  it('picks a file up over FTPS: claimed, moved to processed/, rows applied', async () => {
    const job = await t.addJob(conn, { stableCheckMs: 100 })
    writeFileSync(join(ftp.root, 'inbox', 'ftps-patients.csv'), csvFile([patientRow(1), patientRow(2)]))
    const run = await t.run(job.id)
    expect(run.error).toBeNull()
    expect(run.summary).toMatchObject({ received: 1 })
    expect(readdirSync(join(ftp.root, 'inbox', 'processed')).some((f) => f.endsWith('-ftps-patients.csv'))).toBe(true)
    expect(existsSync(join(ftp.root, 'inbox', 'ftps-patients.csv'))).toBe(false)
    const list = await t.call<{ counts: { created: number } }[]>('files.list', { practiceId: PRACTICE, jobId: job.id })
    expect(list[0]!.counts.created).toBe(2)
  })

  it('drops an outbound file under a temporary name and renames it, never over an existing file', async () => {
    const job = await t.call<{ id: string }>('files.jobs.create', { practiceId: PRACTICE, name: 'export', config: { connectionId: conn, direction: 'outbound', kind: 'test-export', folder: 'inbox', naming: '{practice}-{date:yyyyMMdd}-{seq:3}.csv' } })
    const run = await t.call<{ summary: { name: string; txId: number } }>('files.jobs.run', { id: job.id, practiceId: PRACTICE })
    expect(run.summary.name).toMatch(/^sandbox-\d{8}-001\.csv$/)
    await t.engine.ctx.pipeline.outcome(run.summary.txId)
    expect(readFileSync(join(ftp.root, 'inbox', run.summary.name), 'utf8')).toBe('a,b\r\n1,2\r\n')
    expect(readdirSync(join(ftp.root, 'inbox')).filter((f) => f.includes('.tmp'))).toEqual([])
    const second = await t.call<{ summary: { name: string } }>('files.jobs.run', { id: job.id, practiceId: PRACTICE })
    expect(second.summary.name).toMatch(/-002\.csv$/)
    // Someone else's file already has the next name: refused, never overwritten.
    const third = second.summary.name.replace('-002.csv', '-003.csv')
    writeFileSync(join(ftp.root, 'inbox', third), 'theirs\r\n')
    const r3 = await t.call<{ summary: { name: string; txId: number } }>('files.jobs.run', { id: job.id, practiceId: PRACTICE })
    expect(r3.summary.name).toBe(third)
    const o = await t.engine.ctx.pipeline.outcome(r3.summary.txId)
    expect(o).toMatchObject({ status: 'error', error: { code: 'conflict' } })
    expect(readFileSync(join(ftp.root, 'inbox', third), 'utf8')).toBe('theirs\r\n')
    expect(t.audit('files.file.dropped').length).toBeGreaterThanOrEqual(1)
  })
})

describe('FTPS with a client certificate (real vsftpd requiring it)', () => {
  let ftp: VsftpdServer
  let t: FilesTestEngine

  beforeAll(async () => {
    ftp = await startVsftpd({ requireClientCert: true })
    t = await openFilesEngine()
  })
  afterAll(async () => {
    await t?.close()
    await ftp?.stop()
  })

  it('logs in with the certificate and its TLS key from the keychain; without the key it says so, and the server refuses a connection without a certificate', async () => {
    const base = { host: ftp.host, port: ftp.port, tlsMode: 'explicit', certSha256: ftp.fingerprint }
    const steps = async (id: string) => (await t.call<{ steps: Step[] }>('connections.test', { id })).steps
    // No client certificate: the server closes the TLS handshake (nothing logged in).
    const plain = (await t.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'ftps', name: 'no-cert', config: base })).id
    const refused = await steps(plain)
    expect(refused.at(-1)!.ok).toBe(false)
    expect(refused.some((s) => s.step === 'login' && s.ok)).toBe(false)

    const conn = (await t.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'ftps', name: 'with-cert', config: { ...base, clientCertPem: ftp.client!.certPem } })).id
    const noKey = await steps(conn)
    expect(noKey.at(-1)).toMatchObject({ ok: false, error: { code: 'config_invalid' } })
    expect(noKey.at(-1)!.error!.message).toContain('tls_key')

    await t.call('connections.setSecret', { id: conn, field: 'tls_key', value: ftp.client!.keyPem })
    // The identity dialog completes the handshake with the certificate (the server requires it) and shows the server's.
    const unpinned = (await t.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'ftps', name: 'unpinned-cert', config: { ...base, certSha256: null, clientCertPem: ftp.client!.certPem } })).id
    await t.call('connections.setSecret', { id: unpinned, field: 'tls_key', value: ftp.client!.keyPem })
    expect(await t.call('files.identity', { connectionId: unpinned })).toMatchObject({ kind: 'tls-certificate', fingerprint: ftp.fingerprint })
    expect((await steps(conn)).map((s) => [s.step, s.ok])).toEqual([
      ['dns', true],
      ['tcp', true],
      ['handshake', true],
      ['login', true],
      ['list', true],
      ['probe', true],
    ])
    // The key is in the keychain, never in SQLite nor in what the console reads.
    const listed = await t.call<{ id: string; config: Record<string, unknown>; secrets: Record<string, boolean> }[]>('connections.list', { practiceId: PRACTICE })
    const row = listed.find((c) => c.id === conn)!
    expect(row.secrets.tls_key).toBe(true)
    expect(JSON.stringify(listed)).not.toContain('PRIVATE KEY')
    const stored = t.engine.ctx.db.prepare('SELECT config FROM connections WHERE id = ?').get(conn) as { config: string }
    expect(stored.config).not.toContain('PRIVATE KEY')
    // Deleting the location deletes its key.
    await t.call('connections.delete', { id: conn })
    expect(await t.engine.ctx.secrets.get(`connection:${conn}:tls_key`)).toBeNull()
  })
})
