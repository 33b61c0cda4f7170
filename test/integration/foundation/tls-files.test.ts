/**
 * Issue #17 item 7: TLS files named in settings. Only absolute paths inside the data folder's
 * tls/ or PS_TLS_DIR are read; a path elsewhere gets the same answer whether or not something
 * exists there (nothing outside is touched); symbolic links must stay inside; a bad PEM, a key
 * that is not a key and a key for another certificate each say so. Real files made by openssl.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { engineSettingsFromEnv } from '../../../electron/engine/core/engine-settings'
import { loadTlsCredentials, readTlsFile, tlsFolders } from '../../../electron/engine/core/tls-files'
import { hl7InboundConfigSchema } from '../../../shared/config'
import { openHl7Engine } from '../hl7/support'

let dataDir: string
let tlsDir: string
let folders: string[]

function openssl(cwd: string, ...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`)
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ps-tlsfiles-'))
  tlsDir = join(dataDir, 'tls')
  mkdirSync(tlsDir)
  folders = tlsFolders(dataDir, { tlsDir: null })
  for (const n of ['a', 'b']) openssl(tlsDir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${n}.key`, '-subj', `/CN=${n}`, '-days', '2', '-out', `${n}.pem`)
  writeFileSync(join(tlsDir, 'not-a-cert.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n')
  writeFileSync(join(tlsDir, 'notes.txt'), 'hello')
  symlinkSync('/etc/hostname', join(tlsDir, 'escape.pem'))
})

const message = (fn: () => unknown): string => {
  try {
    fn()
  } catch (e) {
    return (e as Error).message
  }
  throw new Error('expected a failure')
}

describe('TLS file paths', () => {
  it('a path outside the allowed folders is refused the same way whether or not it exists', () => {
    const exists = message(() => readTlsFile('/etc/passwd', 'certificate', folders))
    const missing = message(() => readTlsFile('/etc/no-such-file-here', 'certificate', folders))
    expect(exists).toBe(`The TLS certificate file must be inside ${tlsDir}; copy it there and name it by its full path.`)
    expect(missing.replace('no-such-file-here', 'passwd')).toBe(exists)
    expect(message(() => readTlsFile(`${tlsDir}/../secrets.enc`, 'private key', folders))).toMatch(/must be inside/)
  })

  it('relative paths are refused by the settings and by the reader', () => {
    expect(message(() => readTlsFile('tls/a.pem', 'certificate', folders))).toMatch(/absolute path inside/)
    const r = hl7InboundConfigSchema.safeParse({ port: 0, tls: { enabled: true, certFile: 'a.pem', keyFile: 'a.key' } })
    expect(r.success).toBe(false)
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['tls.certFile', 'tls.keyFile'])
  })

  it('a symbolic link inside that leads outside is refused', () => {
    expect(message(() => readTlsFile(join(tlsDir, 'escape.pem'), 'certificate', folders))).toMatch(/must be inside/)
  })

  it('PS_TLS_DIR adds a folder (absolute only)', () => {
    const other = mkdtempSync(join(tmpdir(), 'ps-tlsdir-'))
    writeFileSync(join(other, 'x.pem'), 'x')
    expect(readTlsFile(join(other, 'x.pem'), 'CA', tlsFolders(dataDir, engineSettingsFromEnv({ PS_TLS_DIR: other }))).toString()).toBe('x')
    expect(message(() => engineSettingsFromEnv({ PS_TLS_DIR: 'relative/dir' }))).toBe('PS_TLS_DIR must be an absolute path.')
  })

  it('says which file is wrong and how: not a PEM certificate, not a key, a key of another certificate', () => {
    const f = (n: string) => join(tlsDir, n)
    expect(message(() => loadTlsCredentials({ certFile: f('not-a-cert.pem'), keyFile: f('a.key'), caFile: null }, folders))).toBe(`The certificate in ${f('not-a-cert.pem')} is not a PEM certificate.`)
    expect(message(() => loadTlsCredentials({ certFile: f('a.pem'), keyFile: f('notes.txt'), caFile: null }, folders))).toBe(`The key in ${f('notes.txt')} is not a PEM private key.`)
    expect(message(() => loadTlsCredentials({ certFile: f('a.pem'), keyFile: f('b.key'), caFile: null }, folders))).toBe(`The key in ${f('b.key')} does not match the certificate in ${f('a.pem')}.`)
    expect(message(() => loadTlsCredentials({ certFile: f('a.pem'), keyFile: f('a.key'), caFile: f('notes.txt') }, folders))).toBe(`The CA file ${f('notes.txt')} does not hold a PEM certificate.`)
    expect(loadTlsCredentials({ certFile: f('a.pem'), keyFile: f('a.key'), caFile: f('b.pem') }, folders).cert).toBeDefined()
  })

  it('a listener with a bad PEM is in error with that specific message (not "could not start")', async () => {
    const t = await openHl7Engine()
    try {
      mkdirSync(join(t.dir, 'tls'))
      writeFileSync(join(t.dir, 'tls', 'bad.pem'), 'garbage')
      writeFileSync(join(t.dir, 'tls', 'bad.key'), 'garbage')
      await t.call('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'bad-pem', config: { host: '127.0.0.1', port: 0, tls: { enabled: true, certFile: join(t.dir, 'tls', 'bad.pem'), keyFile: join(t.dir, 'tls', 'bad.key') } } })
      const l = (await t.call<{ name: string; state: string; error: string | null }[]>('hl7.listeners', { practiceId: 'sandbox' })).find((x) => x.name === 'bad-pem')
      expect(l).toMatchObject({ state: 'error', error: `The certificate in ${join(t.dir, 'tls', 'bad.pem')} is not a PEM certificate.` })
    } finally {
      await t.close()
    }
  })
})
