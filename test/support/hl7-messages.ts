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
