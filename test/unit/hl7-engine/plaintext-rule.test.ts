/** MLLP-12: no plaintext HL7 on a network address unless the operator declares the network private and lists the peers. */
import { describe, expect, it } from 'vitest'
import { connectionConfigSchema, hl7InboundConfigSchema, isLoopbackHost, plaintextListenerProblems } from '../../../shared/config'

const cfg = (o: Record<string, unknown>) => hl7InboundConfigSchema.parse({ port: 2575, ...o })

describe('plaintext listener rule', () => {
  it('knows loopback when it sees it', () => {
    for (const h of ['127.0.0.1', '127.9.8.7', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true)
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.10', 'lab.example.org', '127.0.0.1.example.org', '1127.0.0.1']) expect(isLoopbackHost(h), h).toBe(false)
  })

  it('loopback or TLS: nothing to confirm', () => {
    expect(plaintextListenerProblems(cfg({ host: '127.0.0.1' }))).toEqual([])
    expect(plaintextListenerProblems(cfg({ host: '0.0.0.0', tls: { enabled: true } }))).toEqual([])
  })

  it('a network address without TLS needs both the declaration and the peers', () => {
    expect(plaintextListenerProblems(cfg({ host: '0.0.0.0' })).map((p) => p.path)).toEqual(['plaintextOnPrivateNetwork', 'allowedPeers'])
    expect(plaintextListenerProblems(cfg({ host: '0.0.0.0', plaintextOnPrivateNetwork: true })).map((p) => p.path)).toEqual(['allowedPeers'])
    expect(plaintextListenerProblems(cfg({ host: '0.0.0.0', allowedPeers: ['10.0.0.0/8'] })).map((p) => p.path)).toEqual(['plaintextOnPrivateNetwork'])
    expect(plaintextListenerProblems(cfg({ host: '0.0.0.0', plaintextOnPrivateNetwork: true, allowedPeers: ['10.0.0.0/8'] }))).toEqual([])
  })

  it('incoming settings are refused with the paths to fix; the stored-settings schema still reads them', () => {
    const r = connectionConfigSchema.safeParse({ kind: 'hl7-inbound', name: 'lan', config: { host: '0.0.0.0', port: 2575 } })
    expect(r.success).toBe(false)
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['config.plaintextOnPrivateNetwork', 'config.allowedPeers'])
    expect(hl7InboundConfigSchema.safeParse({ host: '0.0.0.0', port: 2575 }).success).toBe(true)
  })
})
