/**
 * Claim Adjustment Reason Codes (X12 external code list 139) and claim adjustment groups, in words
 * for the reconciliation page. The common ones only: an unknown code is shown as its number, never
 * guessed. Wording shortened from the published list (x12.org/codes/claim-adjustment-reason-codes).
 */
const CARC: Record<string, string> = {
  '1': 'Deductible amount',
  '2': 'Coinsurance amount',
  '3': 'Co-payment amount',
  '4': 'Procedure code inconsistent with the modifier, or a required modifier is missing',
  '5': 'Procedure code or bill type inconsistent with the place of service',
  '6': 'Procedure or revenue code inconsistent with the patient’s age',
  '11': 'Diagnosis inconsistent with the procedure',
  '16': 'Claim or service lacks information or has submission/billing errors',
  '18': 'Exact duplicate claim or service',
  '22': 'May be covered by another payer (coordination of benefits)',
  '23': 'Impact of prior payer(s) adjudication, including payments and adjustments',
  '24': 'Covered under a capitation agreement or managed care plan',
  '26': 'Expenses incurred before coverage',
  '27': 'Expenses incurred after coverage terminated',
  '29': 'The time limit for filing has expired',
  '31': 'Patient cannot be identified as our insured',
  '42': 'Charges exceed our fee schedule or maximum allowable amount',
  '45': 'Charge exceeds fee schedule / maximum allowable or contracted fee arrangement',
  '49': 'Non-covered: routine or preventive exam',
  '50': 'Non-covered: not deemed a medical necessity by the payer',
  '96': 'Non-covered charge(s)',
  '97': 'Included in the allowance for another service already adjudicated',
  '94': 'Processed in excess of charges',
  '109': 'Not covered by this payer; submit to the correct payer',
  '119': 'Benefit maximum for this time period or occurrence has been reached',
  '151': 'Payment adjusted: the payer deems the information submitted does not support this many services',
  '197': 'Precertification / authorization / notification absent',
  '204': 'Service not covered under the patient’s current benefit plan',
  '242': 'Services not provided by network / primary care providers',
  '251': 'The attachment / other documentation received was incomplete or deficient',
  '253': 'Sequestration: reduction of federal payment',
  A2: 'Contractual adjustment (retired code)',
}

const GROUPS: Record<string, string> = {
  CO: 'Contractual obligation',
  PR: 'Patient responsibility',
  OA: 'Other adjustment',
  PI: 'Payer initiated reduction',
  CR: 'Correction and reversal',
}

export function carcWords(reason: string): string {
  return CARC[reason] ?? `Reason code ${reason} (not in the built-in list)`
}

export function groupWords(group: string): string {
  return GROUPS[group] ?? group
}

/** PLB03-1 provider adjustment reasons (code list in the 835 guide), the ones practices meet. */
const PLB: Record<string, string> = {
  WO: 'Overpayment recovery',
  FB: 'Forwarding balance',
  L6: 'Interest owed',
  '72': 'Authorized return',
  CS: 'Adjustment',
  CV: 'Capital passthru',
  J1: 'Non-reimbursable',
  WU: 'Unspecified recovery',
  B2: 'Rebate',
}

export function plbWords(reason: string): string {
  return PLB[reason] ?? `Provider adjustment ${reason}`
}
