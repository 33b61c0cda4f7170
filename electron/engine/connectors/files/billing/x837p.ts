/**
 * 837P (005010X222A1) writer: one interchange (ISA/GS), one transaction (ST…SE) with every claim.
 * Loops: 1000A submitter, 1000B receiver, 2000A billing provider, 2000B subscriber (+2010BA/BB),
 * 2000C patient when not the subscriber, 2300 claim (CLM, REF*F8 for replacements, HI),
 * 2310B rendering provider, 2400 lines (LX, SV1, DTP*472). Control numbers come from the caller
 * (a durable sequence); counts (SE01, GE01, IEA01) are computed here.
 */
import type { ClaimSettings } from '../../../../../shared/billing'
import { X12Writer, fromCents, type X12Delimiters } from '../x12/x12-segments'
import type { ClaimDraft, ClaimParty } from './claim-model'

export const X222 = '005010X222A1'

export interface EnvelopeNumbers {
  /** ISA13 and GS06 (one group per interchange). */
  control: number
  at: Date
}

const pad = (s: string, n: number): string => s.slice(0, n).padEnd(n, ' ')
const d8 = (iso: string): string => iso.replace(/-/g, '')
const two = (n: number): string => String(n).padStart(2, '0')

export function write837p(claims: ClaimDraft[], s: ClaimSettings, env: EnvelopeNumbers, delimiters?: X12Delimiters): string {
  const w = new X12Writer(delimiters)
  const d = w.delimiters
  const t = env.at
  const yymmdd = `${String(t.getUTCFullYear()).slice(2)}${two(t.getUTCMonth() + 1)}${two(t.getUTCDate())}`
  const ccyymmdd = `${t.getUTCFullYear()}${two(t.getUTCMonth() + 1)}${two(t.getUTCDate())}`
  const hhmm = `${two(t.getUTCHours())}${two(t.getUTCMinutes())}`
  const ctl = String(env.control).padStart(9, '0')
  w.raw(
    ['ISA', '00', pad('', 10), '00', pad('', 10), s.interchangeSenderQualifier, pad(s.interchangeSenderId, 15), s.interchangeReceiverQualifier, pad(s.interchangeReceiverId, 15), yymmdd, hhmm, d.repetition, '00501', ctl, '0', s.usage, d.component].join(d.element),
  )
  w.seg('GS', 'HC', s.applicationSenderCode, s.applicationReceiverCode, ccyymmdd, hhmm, env.control, 'X', X222)
  const stAt = w.seg('ST', '837', '0001', X222)
  w.seg('BHT', '0019', '00', ctl, ccyymmdd, hhmm, 'CH')
  w.seg('NM1', '41', '2', s.submitterName, '', '', '', '', '46', s.submitterId)
  w.seg('PER', 'IC', s.contactName, 'TE', s.contactPhone)
  w.seg('NM1', '40', '2', s.receiverName, '', '', '', '', '46', s.receiverId)
  let hl = 0
  const bp = s.billingProvider
  const billingHl = ++hl
  w.seg('HL', billingHl, '', '20', '1')
  if (bp.taxonomy) w.seg('PRV', 'BI', 'PXC', bp.taxonomy)
  w.seg('NM1', '85', '2', bp.name, '', '', '', '', 'XX', bp.npi)
  w.seg('N3', bp.address.line1, bp.address.line2 ?? '')
  w.seg('N4', bp.address.city, bp.address.state, bp.address.zip)
  w.seg('REF', 'EI', bp.tin)
  const person = (qual: string, p: ClaimParty, idQual: string, id: string): void => {
    w.seg('NM1', qual, '1', p.lastName, p.firstName, p.middleName, '', '', idQual, id)
    if (p.address) {
      w.seg('N3', p.address.line1, p.address.line2)
      w.seg('N4', p.address.city, p.address.state, p.address.zip)
    }
    if (p.dob) w.seg('DMG', 'D8', d8(p.dob), p.gender)
  }
  for (const c of claims) {
    const self = c.relationship === '18'
    const subHl = ++hl
    w.seg('HL', subHl, billingHl, '22', self ? '0' : '1')
    w.seg('SBR', 'P', self ? '18' : '', c.subscriber.groupNumber, '', '', '', '', '', 'CI')
    person('IL', self ? { ...c.subscriber, ...c.patient } : c.subscriber, 'MI', c.subscriber.memberId)
    w.seg('NM1', 'PR', '2', c.payer.name, '', '', '', '', 'PI', c.payer.id)
    if (!self) {
      w.seg('HL', ++hl, subHl, '23', '0')
      w.seg('PAT', c.relationship)
      w.seg('NM1', 'QC', '1', c.patient.lastName, c.patient.firstName, c.patient.middleName)
      if (c.patient.address) {
        w.seg('N3', c.patient.address.line1, c.patient.address.line2)
        w.seg('N4', c.patient.address.city, c.patient.address.state, c.patient.address.zip)
      }
      w.seg('DMG', 'D8', d8(c.patient.dob), c.patient.gender)
    }
    w.seg('CLM', c.pcn, fromCents(c.totalCents), '', '', [c.placeOfService, 'B', c.frequency], 'Y', 'A', 'Y', 'Y')
    if (c.payerIcn && c.frequency !== '1') w.seg('REF', 'F8', c.payerIcn)
    w.seg('HI', ...c.diagnoses.map((dx, i) => [i === 0 ? 'ABK' : 'ABF', dx]))
    if (c.rendering && c.rendering.npi !== bp.npi) w.seg('NM1', '82', '1', c.rendering.lastName, c.rendering.firstName, '', '', '', 'XX', c.rendering.npi)
    c.lines.forEach((l, i) => {
      w.seg('LX', i + 1)
      w.seg('SV1', ['HC', l.procedure, ...l.modifiers], fromCents(l.chargeCents), 'UN', String(l.units), '', '', l.pointers.map(String))
      w.seg('DTP', '472', 'D8', d8(l.serviceDate))
    })
  }
  const seCount = w.count - stAt + 2 // ST through SE inclusive
  w.seg('SE', seCount, '0001')
  w.seg('GE', 1, env.control)
  w.seg('IEA', 1, ctl)
  return w.toString()
}
