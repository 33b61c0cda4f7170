/** Billing test data as text (claim settings, DFT^P03 charges, 835 remittances), shared by the integration and end-to-end suites. */

export const BILLING_NPI = '1234567893'
export const RENDERING_NPI = '1245319599'

export const CLAIM_SETTINGS = {
  submitterId: 'SUB123',
  submitterName: 'RIVERSIDE BILLING',
  contactName: 'JANE BILLER',
  contactPhone: '6175550100',
  receiverId: 'CLEARHOUSE1',
  receiverName: 'CLEAR HOUSE INC',
  interchangeSenderId: 'RIVERSIDE',
  interchangeReceiverId: 'CLEARHOUSE',
  applicationSenderCode: 'RIVERSIDE',
  applicationReceiverCode: 'CLEARHOUSE',
  billingProvider: { name: 'RIVERSIDE FAMILY MEDICINE', npi: BILLING_NPI, tin: '123456789', address: { line1: '10 RIVER ST', city: 'CAMBRIDGE', state: 'MA', zip: '021390000' } },
  payerIds: { 'BCBS-PPO': 'BCBSMA01' },
  firstControlNumber: 1000,
}

export function dft(o: { control: string; mrn: string; visit: string; lines: Array<{ id: string; cpt: string; amount: string; dx: string[]; mods?: string[]; qty?: number; date?: string }>; npi?: string }): string {
  return [
    `MSH|^~\\&|BILLING|HOSP_A|FIN_SYS|HOSP_A|20260401120000||DFT^P03^DFT_P03|${o.control}|P|2.5.1`,
    'EVN|P03|20260401120000',
    `PID|1||${o.mrn}^^^RIVERSIDE^MR||QUINTERO^ELENA||19870618|F`,
    `PV1|1|O|CLINIC^101^1^RIVERSIDE||||||||||||||||${o.visit}`,
    ...o.lines.map(
      (l, i) =>
        `FT1|${i + 1}|${l.id}||${l.date ?? '20260401'}|${l.date ?? '20260401'}|CG|${l.cpt}^Procedure^CPT|||${l.qty ?? 1}|${l.amount}&USD||||||||${l.dx.map((d) => `${d}^Dx^I10`).join('~')}|${o.npi ?? RENDERING_NPI}^CAREFUL^ADAM||||||${(l.mods ?? []).join('~')}`,
    ),
  ].join('\r')
}


/** A one-payment 835 (BCBS → Riverside) with the given trace, BPR02, payment date and claim segments. */
export function remit835(o: { trace: string; amount: string; date: string; body: string[] }): string {
  const segs = [
    `ST*835*0001`, `BPR*I*${o.amount}*C*ACH*CCP*01*111*DA*22*1000000000**01*333*DA*44*${o.date}`, `TRN*1*${o.trace}*1000000000`, `DTM*405*${o.date}`,
    'N1*PR*BLUE CROSS', 'N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893', 'LX*1', ...o.body,
  ]
  return [
    'ISA*00*          *00*          *ZZ*BCBSMA         *ZZ*RIVERSIDE      *260410*1200*^*00501*000000123*0*T*:',
    'GS*HP*BCBSMA*RIVERSIDE*20260410*1200*123*X*005010X221A1', ...segs, `SE*${segs.length + 1}*0001`, 'GE*1*123', 'IEA*1*000000123',
  ].join('~\n') + '~\n'
}
