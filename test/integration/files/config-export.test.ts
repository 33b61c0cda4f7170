/**
 * File jobs travel with the per-practice configuration document: exported with their location by
 * name (never an id, never a secret), recreated by an import into a fresh engine (the same export
 * comes back), updated by name on re-import, and a job naming no location of the document is an
 * issue with its line, applying nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openFilesEngine, PRACTICE, type FilesTestEngine } from './support'

const engines: FilesTestEngine[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const t of engines.splice(0)) await t.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const open = async () => {
  const t = await openFilesEngine()
  engines.push(t)
  return t
}
const exportOf = async (t: FilesTestEngine) => (await t.call<{ json: string }>('config.export', { practiceIds: [PRACTICE] })).json

interface Job {
  id: string
  name: string
  enabled: boolean
  config: Record<string, unknown> & { connectionId: string }
}

describe('file jobs in the configuration document', () => {
  it('export → import into a fresh engine recreates locations and jobs (no secrets, no ids); re-import updates by name', async () => {
    const a = await open()
    const drop = mkdtempSync(join(tmpdir(), 'ps-files-cfg-'))
    dirs.push(drop)
    const folder = await a.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'folder', name: 'scanner-share', config: { path: drop } })
    const sftp = await a.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'sftp', name: 'registration', config: { host: 'sftp.example.org', username: 'clinic', auth: 'password', hostKeySha256: `SHA256:${'A'.repeat(43)}` } })
    await a.call('connections.setSecret', { id: sftp.id, field: 'password', value: 'hunter2-secret' })
    await a.call('files.jobs.create', { practiceId: PRACTICE, name: 'daily-demographics', config: { connectionId: sftp.id, direction: 'inbound', kind: 'demographics', folder: 'inbox', schedule: '0 6 * * *', offPeak: { start: '01:00', end: '06:30' }, include: ['patients-*.csv'], minAgeSeconds: 60 } })
    await a.call('files.jobs.create', { practiceId: PRACTICE, name: 'local-pickup', enabled: false, config: { connectionId: folder.id, direction: 'inbound', kind: 'demographics', format: { type: 'csv', delimiter: ';', quote: '"', encoding: 'windows-1252' } } })
    const exported = await exportOf(a)
    const doc = JSON.parse(exported) as { practices: { id: string; fileJobs: { name: string; location: string; enabled: boolean; config: Record<string, unknown> }[] }[] }
    const jobs = doc.practices.find((p) => p.id === PRACTICE)!.fileJobs
    expect(jobs.map((j) => [j.name, j.location, j.enabled])).toEqual([
      ['daily-demographics', 'registration', true],
      ['local-pickup', 'scanner-share', false],
    ])
    expect(jobs[0]!.config).toMatchObject({ schedule: '0 6 * * *', folder: 'inbox', include: ['patients-*.csv'], minAgeSeconds: 60 })
    expect(jobs[0]!.config).not.toHaveProperty('connectionId')
    expect(exported).not.toContain(sftp.id)
    expect(exported).not.toContain(folder.id)
    expect(exported).not.toContain('hunter2-secret')

    const b = await open()
    const r = await b.call<{ ok: boolean; issues: unknown[] }>('config.import', { json: exported })
    expect(r).toMatchObject({ ok: true, issues: [] })
    expect(await exportOf(b)).toBe(exported)
    const bJobs = await b.call<Job[]>('files.jobs.list', { practiceId: PRACTICE })
    const bConns = await b.call<{ id: string; name: string; secrets: Record<string, boolean> }[]>('connections.list', { practiceId: PRACTICE })
    const daily = bJobs.find((j) => j.name === 'daily-demographics')!
    expect(daily.config.connectionId).toBe(bConns.find((c) => c.name === 'registration')!.id)
    expect(bConns.find((c) => c.name === 'registration')!.secrets.password).toBe(false)
    expect(b.audit('files.job.create')).toHaveLength(2)

    // Re-import of an edited document: the job is updated in place (same id), not duplicated.
    const edited = exported.replace('"0 6 * * *"', '"30 5 * * 1-5"')
    expect((await b.call<{ ok: boolean }>('config.import', { json: edited })).ok).toBe(true)
    const after = await b.call<Job[]>('files.jobs.list', { practiceId: PRACTICE })
    expect(after).toHaveLength(2)
    expect(after.find((j) => j.name === 'daily-demographics')).toMatchObject({ id: daily.id, config: { schedule: '30 5 * * 1-5' } })
    expect(b.audit('files.job.update')).toHaveLength(2)
  })

  it('a job whose location is not a file location of the document is refused with its line; nothing is applied', async () => {
    const a = await open()
    const doc = {
      format: 'practice-studio-config',
      version: 1,
      practices: [{ id: 'new-clinic', name: 'New Clinic', connections: [], fileJobs: [{ name: 'orphan', location: 'nowhere', config: { direction: 'inbound', kind: 'demographics' } }] }],
    }
    const json = JSON.stringify(doc, null, 2)
    const r = await a.call<{ ok: boolean; issues: { line: number | null; path: string; message: string }[] }>('config.import', { json })
    expect(r.ok).toBe(false)
    expect(r.issues).toHaveLength(1)
    expect(r.issues[0]).toMatchObject({ path: 'practices[0].fileJobs[0].location' })
    expect(r.issues[0]!.message).toContain('"nowhere"')
    expect(r.issues[0]!.line).toBe(json.split('\n').findIndex((l) => l.includes('"nowhere"')) + 1)
    expect((await a.call<{ id: string }[]>('practices.list', {})).some((p) => p.id === 'new-clinic')).toBe(false)
  })
})
