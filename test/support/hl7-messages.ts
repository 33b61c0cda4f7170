/** HL7 v2 test messages as text (no engine imports), shared by the integration and end-to-end suites. */

/** Segments joined with the HL7 segment terminator. */
export const hl7 = (...segs: string[]): string => segs.join('\r') + '\r'

export function adtMsg(o: { control: string; trigger?: 'A01' | 'A04' | 'A08'; mrn?: string; last?: string; first?: string; dob?: string; sex?: string; facility?: string; processing?: string; msh15?: string; msh16?: string; extra?: string[] }): string {
  const t = o.trigger ?? 'A04'
  const enh = o.msh15 !== undefined || o.msh16 !== undefined ? `|||${o.msh15 ?? ''}|${o.msh16 ?? ''}` : ''
  return hl7(
    `MSH|^~\\&|REGADT|${o.facility ?? 'RIVERSIDE'}|PRACTICESTUDIO|CLINIC|20260601091500||ADT^${t}^ADT_A01|${o.control}|${o.processing ?? 'P'}|2.5.1${enh}`,
    `EVN|${t}|20260601091500`,
    `PID|1||${o.mrn ?? 'MRN1'}^^^RIVERSIDE^MR||${o.last ?? 'QUINTERO'}^${o.first ?? 'ELENA'}^MARISOL||${o.dob ?? '19870618'}|${o.sex ?? 'F'}||2106-3^White^CDCREC|418 HARBOR VIEW RD^APT 2B^SOMERVILLE^MA^02144^USA^H||(617) 253-1000^PRN^PH|(617) 253-2000^WPN^PH|spa^Spanish^ISO639|M^Married^HL70002||ACCT5561||||N^Not Hispanic or Latino^HL70189`,
    'NK1|1|QUINTERO^ROBERTO^^^^^L|SPO^Spouse^HL70063|418 HARBOR VIEW RD^APT 2B^SOMERVILLE^MA^02144^USA|(617) 253-1000',
    'PV1|1|O|CLINIC^101^1^RIVERSIDE||||1234567890^CAREFUL^ADAM^^^DR|||MED||||1|||1234567890^CAREFUL^ADAM^^^DR|OP|VN8841',
    'IN1|1|BCBS-PPO|BCBS01|Blue Cross Blue Shield of Massachusetts||||GRP-7731||||||||QUINTERO^ELENA|SEL|19870618|418 HARBOR VIEW RD^^SOMERVILLE^MA^02144|||||||||||||||||XZB123456789',
    'IN1|2|AETNA-HMO|AET01|Aetna||||GRP-9||||||||QUINTERO^ELENA|SEL',
    ...(o.extra ?? []),
  )
}

/** The public MDM^T02 sample whose OBX-5 (ED) holds a `<Base64 encoded>` placeholder (test/corpus/SOURCES.md). */
export const MDM_ED_SAMPLE = 'test/corpus/hl7/MDM_T02/hl7-v2-to-fhir__Message_MDM_T02.hl7'

/**
 * A big MDM^T02 built from that sample (`template`: its text): its own MSH-10, PID-3 and TXA-12,
 * only its ED observation (as OBX 1: the document is the PDF, not the sample's text lines), and
 * the OBX-5 placeholder filled with the base64 of a PDF-sized document (`%PDF-1.4` then `body`
 * bytes, repeated) so the message is `bytes` long, as an MDM with an embedded PDF is.
 */
export function bigMdmMsg(template: string, o: { control: string; mrn: string; bytes: number; body?: Buffer }): string {
  const segments = template.split(/\r\n|\n|\r/).filter((s) => s !== '' && (!s.startsWith('OBX|') || s.split('|')[2] === 'ED'))
  const text = hl7(...segments)
    .replace(/^OBX\|\d*\|/m, 'OBX|1|')
    .replace(/^(MSH(?:\|[^|\r]*){8}\|)[^|\r]*/, `$1${o.control}`)
    .replace(/^(PID\|\|\|)[^^|\r]*/m, `$1${o.mrn}`)
    .replace(/^(TXA(?:\|[^|\r]*){11}\|)[^|\r]*/m, `$1DOC-${o.control}`)
  const room = o.bytes - (text.length - '<Base64 encoded>'.length)
  const pdf = Buffer.alloc(Math.floor((room * 3) / 4))
  const head = Buffer.from('%PDF-1.4\n')
  const body = o.body ?? Buffer.from('0 obj << /Length 44 >> stream BT /F1 12 Tf 72 712 Td (Report) Tj ET endstream\n')
  head.copy(pdf)
  for (let i = head.length; i < pdf.length; i += body.length) body.copy(pdf, i)
  return text.replace('<Base64 encoded>', pdf.toString('base64'))
}
