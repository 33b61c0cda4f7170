/**
 * A keychain that stops answering or dies, with the real built server and a real gnome-keyring: the
 * daemon runs on a private D-Bus bus of this test (no service activation, so nothing stands in for
 * it). Frozen with SIGSTOP, it is what a Secret Service waiting on an unlock prompt nobody can see
 * looks like to a client. Before the keychain calls had a time limit, `serve` waited at start-up
 * forever and printed nothing (CI lost a run to it). Now a first start falls back to the encrypted
 * file store, a data folder bound to the keychain refuses to start with a clear reason, and once the
 * daemon answers again the keychain is used as before.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeychainStore } from '../../../electron/engine/secrets/keychain-store'
import { keychainClose, keychainSettled } from '../../../electron/engine/secrets/keychain-thread'
import { startServe, tempDataDir } from '../../support/serve-process'
import { requireBuiltServer } from './support/serve'

const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`

let dir = ''
let bus: ChildProcess | null = null
let keyring: ChildProcess | null = null
let env: NodeJS.ProcessEnv = {}

function secretsOwned(): boolean {
  try {
    const out = execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], { env: { ...process.env, ...env }, encoding: 'utf8' })
    return /boolean true/.test(out)
  } catch {
    return false
  }
}

/** Starts gnome-keyring on the test's bus and keyring files, unlocked, and waits until it owns its name. */
async function startKeyring(): Promise<void> {
  keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'ignore'] })
  keyring.stdin!.end('test-password')
  for (let i = 0; i < 100 && !secretsOwned(); i++) await new Promise((r) => setTimeout(r, 100))
  expect(secretsOwned(), 'gnome-keyring-daemon never took org.freedesktop.secrets on the private bus').toBe(true)
}

async function killKeyring(): Promise<void> {
  const k = keyring!
  const gone = new Promise((r) => k.once('exit', r))
  k.kill('SIGKILL')
  await gone
}

beforeAll(async () => {
  requireBuiltServer()
  dir = mkdtempSync(join(tmpdir(), 'ps-kr-'))
  const run = join(dir, 'run')
  mkdirSync(run, { mode: 0o700 })
  mkdirSync(join(dir, 'data'))
  writeFileSync(join(dir, 'bus.conf'), BUS_CONFIG)
  bus = spawn('dbus-daemon', [`--config-file=${join(dir, 'bus.conf')}`, '--print-address=1', '--nofork'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const address = await new Promise<string>((resolve, reject) => {
    bus!.stdout!.once('data', (b: Buffer) => resolve(b.toString().trim()))
    bus!.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code})`)))
  })
  env = { DBUS_SESSION_BUS_ADDRESS: address, XDG_RUNTIME_DIR: run, XDG_DATA_HOME: join(dir, 'data'), PRACTICE_STUDIO_KEYCHAIN_TIMEOUT_MS: '2000' }
  await startKeyring()
})

afterAll(() => {
  keyring?.kill('SIGCONT')
  keyring?.kill('SIGTERM')
  bus?.kill('SIGTERM')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Status {
  secretStore: { kind: string }
}

describe('a keychain that does not answer', () => {
  it('does not hold the start-up: a first start falls back to the file store, a keychain-bound folder refuses with the reason, and a thawed keychain is used again', async () => {
    keyring!.kill('SIGSTOP')

    const fresh = tempDataDir()
    const s = await startServe({ dataDir: fresh, env })
    try {
      const r = await s.call<Status>('system.status')
      expect(r.ok && r.value.secretStore.kind).toBe('file')
    } finally {
      expect(await s.stop()).toBe(0)
    }

    // A data folder whose database key is in the keychain cannot start without it: it says why.
    const bound = tempDataDir()
    writeFileSync(join(bound, 'install.json'), JSON.stringify({ installId: randomUUID(), secretStore: 'keychain', createdAt: new Date().toISOString() }))
    await expect(startServe({ dataDir: bound, env })).rejects.toThrow(/OS keychain .* not available: no answer within 2 s/)

    keyring!.kill('SIGCONT')
    const thawed = await startServe({ dataDir: tempDataDir(), env })
    try {
      const r = await thawed.call<Status>('system.status')
      expect(r.ok && r.value.secretStore.kind).toBe('keychain')
    } finally {
      expect(await thawed.stop()).toBe(0)
    }
    expect(existsSync(join(fresh, 'master.key'))).toBe(true)
  }, 120_000)

  it('never stalls the event loop: timers keep firing while a call waits, and it fails with the reason', async () => {
    // The keychain thread starts here, so it sees the private bus (a worker takes its env at start).
    Object.assign(process.env, env)
    const store = createKeychainStore(randomUUID())
    await store.set('db-key', 'k')
    keyring!.kill('SIGSTOP')
    try {
      let ticks = 0
      const timer = setInterval(() => ticks++, 50)
      await expect(store.get('db-key')).rejects.toMatchObject({ code: 'secret_store_unavailable', retryable: true, message: expect.stringMatching(/no answer within 2 s/) })
      clearInterval(timer)
      // A blocked loop would have run no timer at all before the call gave up.
      expect(ticks).toBeGreaterThanOrEqual(10)
    } finally {
      keyring!.kill('SIGCONT')
    }
    // The stuck thread is left behind; the next call gets a fresh one and the secret is intact.
    expect(await store.get('db-key')).toBe('k')
  }, 60_000)
})

describe('a keychain that dies', () => {
  it('a call cut off by the daemon dying is made again on the daemon that replaces it', async () => {
    Object.assign(process.env, env)
    const store = createKeychainStore(randomUUID())
    await store.set('db-key', 'k2')
    // Frozen first, so the call is surely in flight when the daemon dies under it.
    keyring!.kill('SIGSTOP')
    const answer = store.get('db-key')
    await new Promise((r) => setTimeout(r, 300))
    await killKeyring()
    // What a session does for its keyring (scripts/with-keyring.sh): start it again, same files.
    await startKeyring()
    // Before the retries, this rejected with "disconnected from message bus without replying".
    expect(await answer).toBe('k2')
  }, 60_000)

  it('a daemon that stays away fails the call after the retries, with the reason', async () => {
    Object.assign(process.env, env)
    const store = createKeychainStore(randomUUID())
    await killKeyring()
    try {
      await expect(store.get('db-key')).rejects.toMatchObject({ code: 'secret_store_unavailable', retryable: true, message: expect.stringMatching(/not provided by any \.service files/) })
    } finally {
      await startKeyring()
    }
    await store.set('db-key', 'back')
    expect(await store.get('db-key')).toBe('back')
  }, 60_000)
})

describe('a clean stop', () => {
  it('waits for the keychain call in flight, so the daemon never sees a client vanish mid-request', async () => {
    Object.assign(process.env, env)
    const store = createKeychainStore(randomUUID())
    await store.set('audit-anchor', 'cp1')
    keyring!.kill('SIGSTOP')
    let answered = false
    const call = store.set('audit-anchor', 'cp2').then(() => (answered = true))
    const settled = keychainSettled(10_000)
    await new Promise((r) => setTimeout(r, 300))
    expect(answered).toBe(false)
    keyring!.kill('SIGCONT')
    await settled
    expect(answered).toBe(true)
    await call
    expect(await store.get('audit-anchor')).toBe('cp2')
  }, 60_000)

  it('then ends the keychain thread, so exit() tears down no thread of ours; a later call starts a fresh one', async () => {
    Object.assign(process.env, env)
    const store = createKeychainStore(randomUUID())
    await store.set('audit-anchor', 'cp3')
    const threads = (): number => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1])
    const before = threads()
    await keychainClose()
    const closed = threads()
    expect(closed).toBeLessThan(before)
    expect(await store.get('audit-anchor')).toBe('cp3')
    expect(threads()).toBeGreaterThan(closed)
  }, 60_000)
})
