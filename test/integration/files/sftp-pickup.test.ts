/**
 * File locations and safe pickup against a real OpenSSH sshd (unprivileged, loopback): host-key
 * pinning (unknown, accepted, changed), the connectivity test's steps, stable-file detection with a
 * file still being written, claim → processed/ with a timestamp, re-sent identical content,
 * structural failures to error/ with a report beside them, bad rows with their line numbers and an
 * oversized file refused.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSshd, type SshdServer } from '../../support/sshd-server'
import { csvFile, openFilesEngine, patientRow, PRACTICE, type FilesTestEngine } from './support'

interface Step {
  step: string
  ok: boolean
  detail?: string
  error?: { code: string; message: string }
}

describe('SFTP locations and safe pickup (real sshd)', () => {
  let sshd: SshdServer
  let t: FilesTestEngine
  let conn: string
  let job: string
  const inbox = () => join(sshd.root, 'inbox')
  const files = (sub: string) => (existsSync(join(inbox(), sub)) ? readdirSync(join(inbox(), sub)).sort() : [])

  beforeAll(async () => {
    sshd = await startSshd()
    t = await openFilesEngine()
  })
  afterAll(async () => {
    await t?.close()
    await sshd?.stop()
  })

  it('refuses an unknown host key, shows its fingerprint, pins it when accepted (audited), then passes every step', async () => {
    conn = await t.addSftp(sshd, { pin: false })
    const first = await t.call<{ ok: boolean; steps: Step[] }>('connections.test', { id: conn })
    expect(first.ok).toBe(false)
    const hs = first.steps.find((s) => s.step === 'handshake')!
    expect(hs.error?.code).toBe('identity_unknown')
    expect(hs.error?.message).toContain(sshd.fingerprint)
    expect(first.steps.map((s) => s.step)).toEqual(['dns', 'tcp', 'handshake'])

    const id = await t.call<{ fingerprint: string; pinned: string | null; label: string }>('files.identity', { connectionId: conn })
    expect(id).toMatchObject({ fingerprint: sshd.fingerprint, pinned: null, label: 'ssh-ed25519' })
    await t.call('files.trustIdentity', { connectionId: conn, fingerprint: id.fingerprint })
    expect(t.audit('files.location.identity_accepted')).toHaveLength(1)
    expect(JSON.parse(t.audit('files.location.identity_accepted')[0]!.details)).toMatchObject({ to: sshd.fingerprint, from: null })

    const second = await t.call<{ ok: boolean; steps: Step[] }>('connections.test', { id: conn })
    expect(second.steps.map((s) => [s.step, s.ok])).toEqual([
      ['dns', true],
      ['tcp', true],
      ['handshake', true],
      ['login', true],
      ['list', true],
      ['probe', true],
    ])
    // The probe file was written, renamed and deleted in the scratch folder.
    expect(readdirSync(join(sshd.root, '.psc-probe'))).toEqual([])
  })

  it('takes a stable file: claimed, stored as one transaction with every pickup step, moved to processed/ with a timestamp', async () => {
    job = (await t.addJob(conn)).id
    sshd.mkdir('inbox')
    writeFileSync(join(inbox(), 'patients-0601.csv'), csvFile([patientRow(1), patientRow(2), patientRow(3)]))
    writeFileSync(join(inbox(), '.hidden.csv'), csvFile([patientRow(9)]))
    writeFileSync(join(inbox(), 'upload.csv.part'), csvFile([patientRow(9)]))
    const run = await t.run(job)
    expect(run.error).toBeNull()
    expect(run.status).toBe('ok')
    expect(run.summary).toMatchObject({ received: 1, taken: 1, errors: 0 })
    expect(files('')).toEqual(['.hidden.csv', 'error', 'processed', 'processing', 'upload.csv.part'])
    expect(files('processing')).toEqual([])
    expect(files('processed')).toHaveLength(1)
    expect(files('processed')[0]).toMatch(/^\d{8}T\d{9}-patients-0601\.csv$/)
    const list = await t.call<{ txId: number; status: string; txStatus: string; counts: { created: number; total: number } }[]>('files.list', { practiceId: PRACTICE, jobId: job })
    expect(list[0]).toMatchObject({ status: 'processed', txStatus: 'done', counts: { created: 3, total: 3 } })
    const steps = t.engine.ctx.txRepo.steps(list[0]!.txId).map((s) => s.step)
    expect(steps).toEqual(expect.arrayContaining(['list', 'stable-check', 'claim', 'download', 'hash', 'check', 'store', 'move', 'parse', 'read', 'rows', 'apply']))
    expect(t.audit('files.file.received')).toHaveLength(1)
  })

  it('leaves a file that is still being written, and takes it once it stopped changing', async () => {
    const path = join(inbox(), 'growing.csv')
    writeFileSync(path, csvFile([patientRow(10)]))
    // The appended rows take ids no other test here uses: a random id once hit P000021, which the
    // encoding test below then found already imported under another name.
    let next = 90_000
    const writer = setInterval(() => appendFileSync(path, `${patientRow(next++)}\r\n`), 40)
    const run = await t.run(job)
    clearInterval(writer)
    expect(run.summary).toMatchObject({ notStable: 1, taken: 0 })
    expect(files('')).toContain('growing.csv')
    const again = await t.run(job)
    expect(again.summary).toMatchObject({ received: 1 })
    expect(files('')).not.toContain('growing.csv')
  })

  it('skips the same content sent again under another name (audited) and still moves it out of the way', async () => {
    writeFileSync(join(inbox(), 'patients-0602.csv'), csvFile([patientRow(1), patientRow(2), patientRow(3)]))
    const run = await t.run(job)
    expect(run.summary).toMatchObject({ duplicates: 1, received: 0 })
    expect(t.audit('files.file.duplicate')).toHaveLength(1)
    expect(files('processed').some((f) => f.endsWith('-patients-0602.csv'))).toBe(true)
  })

  it('moves a structurally bad file to error/ with a report beside it, never deleting it: wrong encoding, a header that does not match', async () => {
    const latin = Buffer.concat([Buffer.from(`${csvFile([patientRow(20)])}`), Buffer.from('P000021,Jos'), Buffer.from([0xe9]), Buffer.from(',Nu\xf1ez,01/02/1990,M,,,,,,,,,,\r\n', 'latin1')])
    writeFileSync(join(inbox(), 'latin1.csv'), latin)
    writeFileSync(join(inbox(), 'wrong-header.csv'), 'Id,Given,Family\r\n1,A,B\r\n')
    const run = await t.run(job)
    expect(run.status).toBe('partial')
    expect(run.summary).toMatchObject({ errors: 2, received: 0 })
    const err = files('error')
    expect(err.filter((f) => f.endsWith('latin1.csv'))).toHaveLength(1)
    expect(err.filter((f) => f.endsWith('wrong-header.csv'))).toHaveLength(1)
    const enc = readFileSync(join(inbox(), 'error', err.find((f) => f.endsWith('latin1.csv.error.txt'))!), 'utf8')
    expect(enc).toMatch(/not valid UTF-8 \(line 3/)
    expect(enc).toContain('Windows-1252')
    const hdr = readFileSync(join(inbox(), 'error', err.find((f) => f.endsWith('wrong-header.csv.error.txt'))!), 'utf8')
    expect(hdr).toContain('missing PatientID, FirstName, LastName, DOB')
    // The bytes are kept as they came, and the transaction is in the error queue for the inspector.
    expect(readFileSync(join(inbox(), 'error', err.find((f) => f.endsWith('-latin1.csv'))!))).toEqual(latin)
    const bad = await t.call<{ status: string; txStatus: string }[]>('files.list', { practiceId: PRACTICE, jobId: job })
    expect(bad.filter((p) => p.status === 'error').map((p) => p.txStatus)).toEqual(['error', 'error'])

    // With the job set to Windows-1252 the same bytes import, accents intact.
    await t.call('files.jobs.update', { id: job, practiceId: PRACTICE, name: 'daily-demographics', config: { ...(await jobConfig()), format: { type: 'csv', encoding: 'windows-1252' } } })
    writeFileSync(join(inbox(), 'latin1-again.csv'), Buffer.concat([latin, Buffer.from('\r\n')]))
    const ok = await t.run(job)
    expect(ok.summary).toMatchObject({ received: 1 })
    const p = t.engine.ctx.records.findByExternalId(PRACTICE, 'patient', `file:${job}`, 'P000021')
    expect(p?.data).toMatchObject({ first_name: 'José', last_name: 'Nuñez' })
    await t.call('files.jobs.update', { id: job, practiceId: PRACTICE, name: 'daily-demographics', config: { ...(await jobConfig()), format: { type: 'csv', encoding: 'auto' } } })
  })

  async function jobConfig(): Promise<Record<string, unknown>> {
    const jobs = await t.call<{ id: string; config: Record<string, unknown> }[]>('files.jobs.list', { practiceId: PRACTICE })
    return jobs.find((j) => j.id === job)!.config
  }

  it('rejects bad rows with their line numbers and imports the rest; the report is downloadable as formula-safe CSV', async () => {
    const rows = [patientRow(30), 'P000031,NoDob,Person,,F,,,,,,,,,,', patientRow(32), '"P000033","Quoted ""Name""","=HYPERLINK(1)",02/30/1990,F,,,,,,,,,,', patientRow(34, { id: '' }), 'P000035,Too,Many,01/01/1990,F,,,,,,,,,,,,extra']
    writeFileSync(join(inbox(), 'mixed.csv'), csvFile(rows))
    const run = await t.run(job)
    expect(run.summary).toMatchObject({ received: 1 })
    const tx = (await t.call<{ txId: number; name: string }[]>('files.list', { practiceId: PRACTICE, jobId: job })).find((p) => p.name === 'mixed.csv')!.txId
    const rep = await t.call<{ counts: Record<string, number>; rows: { line: number; outcome: string; detail: { reasons?: string[] } | null }[] }>('files.report', { practiceId: PRACTICE, txId: tx })
    expect(rep.counts).toMatchObject({ total: 6, created: 2, rejected: 4 })
    const rejected = rep.rows.filter((r) => r.outcome === 'rejected')
    expect(rejected.map((r) => r.line)).toEqual([3, 5, 6, 7])
    expect(rejected[0]!.detail!.reasons!.join()).toContain('date_of_birth')
    expect(rejected[1]!.detail!.reasons!.join()).toContain('date_of_birth')
    expect(rejected[2]!.detail!.reasons!.join()).toContain('external_id')
    expect(rejected[3]!.detail!.reasons!.join()).toContain('17 cells, but the header has 15')
    const csv = await t.call<{ csv: string; rows: number }>('files.reportCsv', { practiceId: PRACTICE, txId: tx })
    expect(csv.rows).toBe(6)
    expect(csv.csv.split('\r\n')[0]).toBe('file,line,outcome,record_id,external_id,reasons,fields_applied,fields_held,candidate,grade,score')
    expect(t.audit('files.report.export')).toHaveLength(1)
  })

  it('refuses an oversized file without downloading it: error/ with a report', async () => {
    await t.call('files.jobs.update', { id: job, practiceId: PRACTICE, name: 'daily-demographics', config: { ...(await jobConfig()), maxFileBytes: 2000 } })
    writeFileSync(join(inbox(), 'huge.csv'), csvFile(Array.from({ length: 100 }, (_, i) => patientRow(100 + i))))
    const run = await t.run(job)
    expect(run.summary).toMatchObject({ refused: 1, received: 0 })
    const report = readFileSync(join(inbox(), 'error', files('error').find((f) => f.endsWith('huge.csv.error.txt'))!), 'utf8')
    expect(report).toContain('file_too_large')
    expect(report).toMatch(/over this job's limit of 2000 bytes/)
    await t.call('files.jobs.update', { id: job, practiceId: PRACTICE, name: 'daily-demographics', config: { ...(await jobConfig()), maxFileBytes: 200 * 1024 * 1024 } })
  })

  it('refuses a changed host key hard: the test and the job fail with identity_changed and nothing is touched', async () => {
    writeFileSync(join(inbox(), 'after-rotation.csv'), csvFile([patientRow(50)]))
    const pinned = sshd.fingerprint
    await sshd.rotateHostKey()
    expect(sshd.fingerprint).not.toBe(pinned)
    const test = await t.call<{ ok: boolean; steps: Step[] }>('connections.test', { id: conn })
    const hs = test.steps.find((s) => s.step === 'handshake')!
    expect(hs.error?.code).toBe('identity_changed')
    expect(hs.error?.message).toContain(sshd.fingerprint)
    expect(hs.error?.message).toContain(pinned)
    const run = await t.run(job)
    expect(run).toMatchObject({ status: 'error', error: { code: 'identity_changed' } })
    expect(files('')).toContain('after-rotation.csv')
    expect(t.audit('files.job.run_failed').length).toBeGreaterThan(0)
  })

  it('never runs a job twice at once', async () => {
    await t.call('files.trustIdentity', { connectionId: conn, fingerprint: sshd.fingerprint })
    const a = t.callRaw('files.jobs.run', { id: job, practiceId: PRACTICE })
    const b = await t.callRaw('files.jobs.run', { id: job, practiceId: PRACTICE })
    expect(b.ok).toBe(false)
    expect(b.error?.code).toBe('conflict')
    expect((await a).ok).toBe(true)
  })
})
