/**
 * `serve` (out/main/serve.js) as an operator runs it: the readiness line, --port, --config (valid
 * and invalid, with FILE:line:column errors and nothing applied), SIGTERM and restart, --help.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { startServe, tempDataDir } from '../../support/serve-process'
import { positionOfNeedle } from './support/positions'
import { portOf, runServeToExit, requireBuiltServer } from './support/serve'

const VALID = resolve('docs/examples/practice-basic.json')
const INVALID = resolve('docs/examples/invalid-config.json')

beforeAll(() => requireBuiltServer())

function freePort(): Promise<number> {
  return new Promise((r, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => r(p))
    })
  })
}

describe('serve', () => {
  it('prints one `listening:` line per listener, then "Console ready: http://127.0.0.1:<port>/#setup=<token>" on a first run (the token creates the administrator once)', async () => {
    const s = await startServe({ setup: false })
    try {
      const ready = s.stdout.filter((l) => !l.startsWith('listening: '))
      expect(ready).toHaveLength(2)
      expect(ready[1]).toMatch(/^First run: open that address to create the administrator/)
      // The built-in sandbox practice's local athenaNet sandbox is a listener too, on loopback.
      expect(s.listeners.map((l) => `${l.kind} ${l.practice}/${l.name} ${l.host}`)).toContain('athena-sandbox sandbox/athenanet 127.0.0.1')
      expect(s.listeners.length).toBe(s.stdout.length - 2)
      const m = /^Console ready: http:\/\/127\.0\.0\.1:(\d+)\/#setup=([A-Za-z0-9_-]{32})$/.exec(ready[0])
      expect(m, ready[0]).not.toBeNull()
      expect(Number(m![1])).toBe(portOf(s.origin))
      expect(m![2]).toBe(s.setupToken)
      // The setup token is no session: nothing but creating the administrator works with it.
      expect(await s.call('system.ping')).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    } finally {
      expect(await s.stop()).toBe(0)
    }
    // Once the administrator exists, the address carries nothing and everyone signs in.
    const dataDir = tempDataDir()
    const s2 = await startServe({ dataDir })
    await s2.stop()
    const s3 = await startServe({ dataDir })
    try {
      expect(s3.stdout.at(-1)).toBe(`Console ready: ${s3.origin}/`)
      expect((await s3.call('system.ping')).ok).toBe(true)
    } finally {
      await s3.stop()
    }
  })

  it('--port N is honoured', async () => {
    const port = await freePort()
    const s = await startServe({ args: ['--port', String(port)] })
    try {
      expect(s.stdout.join('\n')).toMatch(new RegExp(`^Console ready: http://127\\.0\\.0\\.1:${port}/#setup=`, 'm'))
      expect(portOf(s.origin)).toBe(port)
      expect((await s.call('system.ping')).ok).toBe(true)
    } finally {
      await s.stop()
    }
  })

  it('--config with a valid example applies it: the practice, its connection and interface appear, audited', async () => {
    const s = await startServe({ args: ['--config', VALID] })
    try {
      const p = await s.call<{ id: string; name: string; environment: string; timeZone: string }>('practices.get', { id: 'example-family-clinic' })
      expect(p.ok && p.value).toMatchObject({ id: 'example-family-clinic', name: 'Example Family Clinic', environment: 'preview', timeZone: 'America/Chicago' })
      const conns = await s.call<{ kind: string; name: string; config: Record<string, unknown> }[]>('connections.list', { practiceId: 'example-family-clinic' })
      expect(conns.ok).toBe(true)
      if (conns.ok) {
        expect(conns.value.map((c) => `${c.kind}/${c.name}`).sort()).toEqual(['athena-rest/athena-preview', 'hl7-inbound/adt-inbound'])
        expect(conns.value.find((c) => c.kind === 'hl7-inbound')!.config).toMatchObject({ host: '127.0.0.1', port: 0 })
      }
      const audit = await s.call<{ action: string; actor: string }[]>('audit.list', { action: 'config.import' })
      expect(audit.ok && audit.value).toHaveLength(1)
      expect(audit.ok && audit.value[0].actor).toMatch(/\(serve --config\)$/)
    } finally {
      await s.stop()
    }
  })

  it('--config with an invalid file exits non-zero, prints FILE:line:column path: message, and changes nothing', async () => {
    const dataDir = tempDataDir()
    const before = await startServe({ dataDir })
    const practicesBefore = await before.call('practices.list')
    const auditBefore = await before.call<{ action: string }[]>('audit.list', { limit: 1000 })
    expect(await before.stop()).toBe(0)

    const text = readFileSync(INVALID, 'utf8')
    const r = await runServeToExit(['--data-dir', dataDir, '--port', '0', '--config', INVALID])
    expect(r.code).not.toBe(0)
    expect(r.code).not.toBeNull()
    expect(r.stdout).not.toContain('Console ready')
    const id = positionOfNeedle(text, '"Not A Slug"')
    const env = positionOfNeedle(text, '"staging"')
    const port = positionOfNeedle(text, '70000')
    const lines = r.stderr.split('\n')
    const expectLine = (pos: { line: number; column: number }, path: string, message: RegExp): void => {
      const prefix = `${INVALID}:${pos.line}:${pos.column} ${path}: `
      const line = lines.find((l) => l.trim().startsWith(prefix))
      expect(line, `stderr has "${prefix}…"\n${r.stderr}`).toBeDefined()
      expect(line!.trim().slice(prefix.length)).toMatch(message)
    }
    expectLine(id, 'practices[0].id', /lowercase letters, digits and hyphens/)
    expectLine(env, 'practices[0].connections[0].config.environment', /"sandbox"\|"preview"\|"production"/)
    expectLine(port, 'practices[0].interfaces[0].config.port', /<=\s*65535/)
    expect(r.stderr).toMatch(/nothing was applied/)

    const after = await startServe({ dataDir })
    try {
      expect(await after.call('practices.list')).toEqual(practicesBefore)
      const auditAfter = await after.call<{ action: string }[]>('audit.list', { limit: 1000 })
      // Signing in is audited too; nothing else may have been added.
      const notSignIn = (r: typeof auditAfter) => (r.ok ? r.value.filter((a) => !a.action.startsWith('auth.')).length : -1)
      expect(notSignIn(auditAfter)).toBe(notSignIn(auditBefore))
      expect(auditAfter.ok && auditAfter.value.some((a) => a.action === 'config.import')).toBe(false)
    } finally {
      await after.stop()
    }
  })

  it('SIGTERM exits 0 and a restart on the same data folder finds the data', async () => {
    const dataDir = tempDataDir()
    const s = await startServe({ dataDir })
    const created = await s.call('practices.create', { id: 'survives-restart', name: 'Survives Restart' })
    expect(created.ok).toBe(true)
    expect(await s.stop()).toBe(0)
    expect(s.child.signalCode).toBeNull()
    const again = await startServe({ dataDir })
    try {
      const p = await again.call<{ name: string }>('practices.get', { id: 'survives-restart' })
      expect(p.ok && p.value.name).toBe('Survives Restart')
    } finally {
      expect(await again.stop()).toBe(0)
    }
  })

  it('--help prints the usage, exits 0 and touches nothing', async () => {
    const dir = join(tempDataDir(), 'never-created')
    const r = await runServeToExit(['--help', '--data-dir', dir])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: npm run serve -- \[options\]/)
    for (const flag of ['--data-dir', '--port', '--config', '--master-key-file', '--secret-store', '--help']) expect(r.stdout).toContain(flag)
    expect(existsSync(dir)).toBe(false)
  })

  it('bad arguments exit non-zero without starting', async () => {
    for (const args of [['--port', '99999'], ['--secret-store', 'plaintext'], ['--no-such-flag']]) {
      const r = await runServeToExit(['--data-dir', tempDataDir(), ...args])
      // Usage errors exit 2 with the usage (issue #17; cli-usage.test.ts).
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stdout).not.toContain('Console ready')
      expect(r.stderr).toMatch(/practice-studio serve:/)
    }
  })
})
