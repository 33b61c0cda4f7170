/** MLLP-12: no plaintext HL7 on a network address unless the operator declares the network private and lists the peers. */
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { connectionConfigSchema, hl7InboundConfigSchema, isIpOrCidr, isLoopbackHost, plaintextListenerProblems } from '../../../shared/config'

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

describe('allowed peers', () => {
  it('takes IPv4 and IPv6 addresses and CIDR ranges, and nothing else', () => {
    for (const e of ['10.0.0.5', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fe80::1', '2001:db8::/32', '2001:0db8:0000:0000:0000:0000:0000:0001', '::ffff:10.1.2.3', ' 192.168.1.0/24 ']) expect(isIpOrCidr(e), e).toBe(true)
    for (const e of ['', 'lab.example.org', '10.0.0', '10.0.0.256', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', '10.0.0.0/']) expect(isIpOrCidr(e), e).toBe(false)
  })

  it('agrees with what the listener builds its allow-list from (node:net)', () => {
    for (const a of ['10.0.0.5', '255.255.255.255', '256.1.1.1', '01.2.3.4', '::', '::1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::ffff:1.2.3.4', '1::2::3', 'g::1', '1.2.3', 'abc']) {
      expect(isIpOrCidr(a), a).toBe(net.isIP(a) !== 0)
    }
  })

  it('a bad entry is a field error on its own index when settings come in', () => {
    const r = connectionConfigSchema.safeParse({ kind: 'hl7-inbound', name: 'lan', config: { host: '127.0.0.1', port: 2575, allowedPeers: ['10.0.0.0/8', 'lab.example.org'] } })
    expect(r.success).toBe(false)
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['config.allowedPeers.1', '"lab.example.org" is not an IP address or CIDR range']])
  })
})
