/**
 * The RFC 5424 form of an exported audit checkpoint / failure (PRI, version, timestamp, structured
 * data with escaped values), and which retention period applies to a connector.
 */
import { describe, expect, it } from 'vitest'
import { syslogMessage } from '../../../electron/engine/audit/anchor-export'
import { effectiveRetention } from '../../../electron/engine/maintenance/pruner'
import { retentionSchema } from '../../../shared/config'

describe('syslogMessage', () => {
  it('a checkpoint: informational, log audit facility, the signed values in structured data', () => {
    const m = syslogMessage({ type: 'checkpoint', install: 'i-1', checkpoint: { seq: 42, hash: 'ab'.repeat(32), at: Date.parse('2026-01-15T09:30:00Z'), mac: 'cd'.repeat(32) } }, { facility: 13, appName: 'practice-studio' }, 'host a')
    expect(m).toMatch(/^<110>1 2026-01-15T09:30:00\.000Z hosta practice-studio \d+ audit-checkpoint \[psAudit@32473 install="i-1" seq="42" hash="(ab){32}" at="\d+" mac="(cd){32}"\] audit checkpoint at entry 42$/)
  })

  it('a failure: critical, with the reason escaped as RFC 5424 requires', () => {
    const m = syslogMessage({ type: 'integrity_failure', install: 'i"1', at: 0, firstBrokenSeq: 3, reason: 'a "quoted" ] \\ reason' }, { facility: 4, appName: 'ps' }, 'h')
    expect(m.startsWith('<34>1 1970-01-01T00:00:00.000Z h ps ')).toBe(true)
    expect(m).toContain('install="i\\"1" firstBrokenSeq="3" reason="a \\"quoted\\" \\] \\\\ reason"]')
  })
})

describe('effectiveRetention', () => {
  it('a connector value overrides the practice value; null there keeps for that connector; absent inherits', () => {
    const r = retentionSchema.parse({ rawPayloadDays: 30, transactionsDays: 365, connectors: { athena: { rawPayloadDays: 90 }, hl7: { transactionsDays: null } } })
    expect(effectiveRetention(r, 'athena')).toEqual({ rawPayloadDays: 90, transactionsDays: 365, logsDays: null, rawPayloadScope: 'connector' })
    expect(effectiveRetention(r, 'hl7')).toEqual({ rawPayloadDays: 30, transactionsDays: null, logsDays: null, rawPayloadScope: 'practice' })
    expect(effectiveRetention(r, 'fhir')).toEqual({ rawPayloadDays: 30, transactionsDays: 365, logsDays: null, rawPayloadScope: 'practice' })
  })

  it('refuses an audit period under six years and raw payloads kept longer than their transactions (also per connector)', () => {
    expect(retentionSchema.safeParse({ auditYears: 5 }).success).toBe(false)
    expect(retentionSchema.safeParse({ auditYears: 6 }).success).toBe(true)
    expect(retentionSchema.safeParse({ rawPayloadDays: 10, transactionsDays: 5 }).success).toBe(false)
    expect(retentionSchema.safeParse({ transactionsDays: 5, connectors: { hl7: { rawPayloadDays: 10 } } }).success).toBe(false)
  })
})
