/**
 * Issue #17 item 7: an unknown or malformed option to `serve` or `sandbox` prints one line saying
 * what is wrong, then the usage, and exits with status 2: no stack trace. The built artifacts.
 */
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { requireBuiltServer, runServeToExit } from './support/serve'

beforeAll(() => requireBuiltServer())

const noStack = (s: string): void => expect(s).not.toMatch(/\n\s+at |Error:|TypeError/)

describe('command-line usage errors', () => {
  it('serve: an unknown option is one line plus the usage, exit 2', async () => {
    const r = await runServeToExit(['--bogus'])
    expect(r.code).toBe(2)
    const [first, second] = r.stderr.split('\n')
    expect(first).toBe('practice-studio serve: unknown option --bogus')
    expect(second).toMatch(/^Usage: npm run serve/)
    noStack(r.stderr)
  })

  it('serve: a missing value and a bad value are usage errors too', async () => {
    const missing = await runServeToExit(['--port'])
    expect(missing.code).toBe(2)
    expect(missing.stderr.split('\n')[0]).toBe('practice-studio serve: option --port <value> needs a value')
    const bad = await runServeToExit(['--port', 'eighty'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.split('\n')[0]).toBe('practice-studio serve: --port must be 0..65535 (got eighty)')
    noStack(missing.stderr + bad.stderr)
  })

  it('serve: a bad engine limit in the environment names the variable', async () => {
    const r = await runServeToExit(['--data-dir', resolve('out/never-created')], { PS_WAL_LIMIT_BYTES: 'lots' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('PS_WAL_LIMIT_BYTES must be a whole number')
    noStack(r.stderr)
  })

  it('sandbox: an unknown option is one line plus the usage, exit 2', () => {
    const r = spawnSync(process.execPath, [resolve('out/main/sandbox.js'), '--bogus'], { encoding: 'utf8', timeout: 30_000 })
    expect(r.status).toBe(2)
    const [first, second] = r.stderr.split('\n')
    expect(first).toBe('Unknown option --bogus')
    expect(second).toMatch(/^Usage: sandbox/)
    noStack(r.stderr)
  })
})
