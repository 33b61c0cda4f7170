/**
 * Names for the message inspector's tree ("PID-5 Patient Name", "PID-5.1 Family Name"). Field
 * names come from the HL7 library's dictionary (connectors/hl7/field-names.ts), which covers the
 * segments the handlers read; this file adds what the inspector also shows: component names of
 * the common data types, and the fields of other segments senders include (PV2, GT1, DG1, …).
 * v2.5.1 layout, which earlier versions share in their leading positions. Display only.
 */
import { HL7_SEGMENT_NAMES, hl7FieldInfo } from '../connectors/hl7/field-names'

/** A field: its name, and its data type when the type has named components. */
type FieldDef = string | readonly [name: string, type: string]

interface SegmentDef {
  name: string
  fields: readonly FieldDef[]
}

export const COMPONENTS: Readonly<Record<string, readonly string[]>> = {
  XPN: ['Family Name', 'Given Name', 'Second and Further Given Names or Initials', 'Suffix', 'Prefix', 'Degree', 'Name Type Code', 'Name Representation Code', 'Name Context', 'Name Validity Range', 'Name Assembly Order', 'Effective Date', 'Expiration Date', 'Professional Suffix'],
  XAD: ['Street Address', 'Other Designation', 'City', 'State or Province', 'Zip or Postal Code', 'Country', 'Address Type', 'Other Geographic Designation', 'County/Parish Code', 'Census Tract', 'Address Representation Code', 'Address Validity Range', 'Effective Date', 'Expiration Date'],
  XTN: ['Telephone Number', 'Telecommunication Use Code', 'Telecommunication Equipment Type', 'Email Address', 'Country Code', 'Area/City Code', 'Local Number', 'Extension', 'Any Text', 'Extension Prefix', 'Speed Dial Code', 'Unformatted Telephone Number'],
  CX: ['ID Number', 'Check Digit', 'Check Digit Scheme', 'Assigning Authority', 'Identifier Type Code', 'Assigning Facility', 'Effective Date', 'Expiration Date', 'Assigning Jurisdiction', 'Assigning Agency or Department'],
  CE: ['Identifier', 'Text', 'Name of Coding System', 'Alternate Identifier', 'Alternate Text', 'Name of Alternate Coding System'],
  CWE: ['Identifier', 'Text', 'Name of Coding System', 'Alternate Identifier', 'Alternate Text', 'Name of Alternate Coding System', 'Coding System Version ID', 'Alternate Coding System Version ID', 'Original Text'],
  CNE: ['Identifier', 'Text', 'Name of Coding System', 'Alternate Identifier', 'Alternate Text', 'Name of Alternate Coding System', 'Coding System Version ID', 'Alternate Coding System Version ID', 'Original Text'],
  HD: ['Namespace ID', 'Universal ID', 'Universal ID Type'],
  EI: ['Entity Identifier', 'Namespace ID', 'Universal ID', 'Universal ID Type'],
  XCN: ['ID Number', 'Family Name', 'Given Name', 'Second and Further Given Names or Initials', 'Suffix', 'Prefix', 'Degree', 'Source Table', 'Assigning Authority', 'Name Type Code', 'Identifier Check Digit', 'Check Digit Scheme', 'Identifier Type Code', 'Assigning Facility'],
  XON: ['Organization Name', 'Organization Name Type Code', 'ID Number', 'Check Digit', 'Check Digit Scheme', 'Assigning Authority', 'Identifier Type Code', 'Assigning Facility', 'Name Representation Code', 'Organization Identifier'],
  PL: ['Point of Care', 'Room', 'Bed', 'Facility', 'Location Status', 'Person Location Type', 'Building', 'Floor', 'Location Description', 'Comprehensive Location Identifier', 'Assigning Authority for Location'],
  MSG: ['Message Code', 'Trigger Event', 'Message Structure'],
  PT: ['Processing ID', 'Processing Mode'],
  VID: ['Version ID', 'Internationalization Code', 'International Version ID'],
  TS: ['Time', 'Degree of Precision'],
  DLN: ['License Number', 'Issuing State, Province, Country', 'Expiration Date'],
  FC: ['Financial Class Code', 'Effective Date'],
  CQ: ['Quantity', 'Units'],
  TQ: ['Quantity', 'Interval', 'Duration', 'Start Date/Time', 'End Date/Time', 'Priority', 'Condition', 'Text', 'Conjunction', 'Order Sequencing', 'Occurrence Duration', 'Total Occurrences'],
  EIP: ['Placer Assigned Identifier', 'Filler Assigned Identifier'],
  CP: ['Price', 'Price Type', 'From Value', 'To Value', 'Range Units', 'Range Type'],
  DR: ['Range Start Date/Time', 'Range End Date/Time'],
  JCC: ['Job Code', 'Job Class', 'Job Description Text'],
  ED: ['Source Application', 'Type of Data', 'Data Subtype', 'Encoding', 'Data'],
  ERL: ['Segment ID', 'Segment Sequence', 'Field Position', 'Field Repetition', 'Component Number', 'Sub-Component Number'],
  SPS: ['Specimen Source Name or Code', 'Additives', 'Specimen Collection Method', 'Body Site', 'Site Modifier', 'Collection Method Modifier Code', 'Specimen Role'],
  PRL: ['Parent Observation Identifier', 'Parent Observation Sub-Identifier', 'Parent Observation Value Descriptor'],
}

const F = (name: string, type: string): FieldDef => [name, type] as const

/** Segments the HL7 library's dictionary does not name. */
const EXTRA_SEGMENTS: Readonly<Record<string, SegmentDef>> = {
  SFT: { name: 'Software Segment', fields: [F('Software Vendor Organization', 'XON'), 'Software Certified Version or Release Number', 'Software Product Name', 'Software Binary ID', 'Software Product Information', F('Software Install Date', 'TS')] },
  PV2: { name: 'Patient Visit - Additional Information', fields: [F('Prior Pending Location', 'PL'), F('Accommodation Code', 'CE'), F('Admit Reason', 'CE'), F('Transfer Reason', 'CE'), 'Patient Valuables', 'Patient Valuables Location', 'Visit User Code', F('Expected Admit Date/Time', 'TS'), F('Expected Discharge Date/Time', 'TS'), 'Estimated Length of Inpatient Stay', 'Actual Length of Inpatient Stay', 'Visit Description'] },
  MRG: { name: 'Merge Patient Information', fields: [F('Prior Patient Identifier List', 'CX'), F('Prior Alternate Patient ID', 'CX'), F('Prior Patient Account Number', 'CX'), F('Prior Patient ID', 'CX'), F('Prior Visit Number', 'CX'), F('Prior Alternate Visit ID', 'CX'), F('Prior Patient Name', 'XPN')] },
  AL1: { name: 'Patient Allergy Information', fields: ['Set ID - AL1', F('Allergen Type Code', 'CE'), F('Allergen Code/Mnemonic/Description', 'CE'), F('Allergy Severity Code', 'CE'), 'Allergy Reaction Code', 'Identification Date'] },
  DG1: { name: 'Diagnosis', fields: ['Set ID - DG1', 'Diagnosis Coding Method', F('Diagnosis Code - DG1', 'CE'), 'Diagnosis Description', F('Diagnosis Date/Time', 'TS'), 'Diagnosis Type', F('Major Diagnostic Category', 'CE'), F('Diagnostic Related Group', 'CE'), 'DRG Approval Indicator', 'DRG Grouper Review Code', F('Outlier Type', 'CE'), 'Outlier Days', 'Outlier Cost', 'Grouper Version and Type', 'Diagnosis Priority', F('Diagnosing Clinician', 'XCN')] },
  PR1: { name: 'Procedures', fields: ['Set ID - PR1', 'Procedure Coding Method', F('Procedure Code', 'CE'), 'Procedure Description', F('Procedure Date/Time', 'TS'), 'Procedure Functional Type', 'Procedure Minutes', F('Anesthesiologist', 'XCN'), 'Anesthesia Code', 'Anesthesia Minutes', F('Surgeon', 'XCN'), F('Procedure Practitioner', 'XCN')] },
  IN2: { name: 'Insurance Additional Information', fields: [F("Insured's Employee ID", 'CX'), "Insured's Social Security Number", F("Insured's Employer's Name and ID", 'XCN')] },
  GT1: {
    name: 'Guarantor',
    fields: ['Set ID - GT1', F('Guarantor Number', 'CX'), F('Guarantor Name', 'XPN'), F('Guarantor Spouse Name', 'XPN'), F('Guarantor Address', 'XAD'), F('Guarantor Ph Num - Home', 'XTN'), F('Guarantor Ph Num - Business', 'XTN'), F('Guarantor Date/Time of Birth', 'TS'), 'Guarantor Administrative Sex', 'Guarantor Type', F('Guarantor Relationship', 'CE'), 'Guarantor SSN', 'Guarantor Date - Begin', 'Guarantor Date - End', 'Guarantor Priority', F('Guarantor Employer Name', 'XPN'), F('Guarantor Employer Address', 'XAD'), F('Guarantor Employer Phone Number', 'XTN'), F('Guarantor Employee ID Number', 'CX'), 'Guarantor Employment Status', F('Guarantor Organization Name', 'XON')],
  },
  ORC: { name: 'Common Order', fields: ['Order Control', F('Placer Order Number', 'EI'), F('Filler Order Number', 'EI'), F('Placer Group Number', 'EI'), 'Order Status', 'Response Flag', F('Quantity/Timing', 'TQ'), F('Parent', 'EIP'), F('Date/Time of Transaction', 'TS'), F('Entered By', 'XCN'), F('Verified By', 'XCN'), F('Ordering Provider', 'XCN'), F("Enterer's Location", 'PL'), F('Call Back Phone Number', 'XTN'), F('Order Effective Date/Time', 'TS'), F('Order Control Code Reason', 'CE'), F('Entering Organization', 'CE'), F('Entering Device', 'CE'), F('Action By', 'XCN'), F('Advanced Beneficiary Notice Code', 'CE'), F('Ordering Facility Name', 'XON'), F('Ordering Facility Address', 'XAD'), F('Ordering Facility Phone Number', 'XTN'), F('Ordering Provider Address', 'XAD')] },
  AIS: { name: 'Appointment Information', fields: ['Set ID - AIS', 'Segment Action Code', F('Universal Service Identifier', 'CE'), F('Start Date/Time', 'TS'), 'Start Date/Time Offset', F('Start Date/Time Offset Units', 'CE'), 'Duration', F('Duration Units', 'CE'), 'Allow Substitution Code', F('Filler Status Code', 'CE'), F('Placer Supplemental Service Information', 'CE'), F('Filler Supplemental Service Information', 'CE')] },
  ROL: { name: 'Role', fields: [F('Role Instance ID', 'EI'), 'Action Code', F('Role-ROL', 'CE'), F('Role Person', 'XCN'), F('Role Begin Date/Time', 'TS'), F('Role End Date/Time', 'TS'), F('Role Duration', 'CE'), F('Role Action Reason', 'CE'), F('Provider Type', 'CE'), F('Organization Unit Type', 'CE'), F('Office/Home Address/Birthplace', 'XAD'), F('Phone', 'XTN')] },
  TQ1: { name: 'Timing/Quantity', fields: ['Set ID - TQ1', F('Quantity', 'CQ'), 'Repeat Pattern', 'Explicit Time', 'Relative Time and Units', 'Service Duration', F('Start Date/Time', 'TS'), F('End Date/Time', 'TS'), F('Priority', 'CWE'), 'Condition Text', 'Text Instruction', 'Conjunction', 'Occurrence Duration', 'Total Occurrences'] },
  SPM: { name: 'Specimen', fields: ['Set ID - SPM', 'Specimen ID', 'Specimen Parent IDs', F('Specimen Type', 'CWE'), F('Specimen Type Modifier', 'CWE'), F('Specimen Additives', 'CWE'), F('Specimen Collection Method', 'CWE'), F('Specimen Source Site', 'CWE')] },
}

export interface FieldInfo {
  name?: string
  type?: string
}

export function segmentName(id: string): string | undefined {
  return HL7_SEGMENT_NAMES[id] ?? EXTRA_SEGMENTS[id]?.name
}

/** The name and data type of `SEG-n`, when known. Z-segments and unknown fields have none. */
export function fieldInfo(segment: string, field: number): FieldInfo {
  const lib = hl7FieldInfo(segment, field)
  if (lib) return { name: lib.name, type: lib.dataType }
  const def = EXTRA_SEGMENTS[segment]?.fields[field - 1]
  if (def === undefined) return {}
  return typeof def === 'string' ? { name: def } : { name: def[0], type: def[1] }
}

/** Data types of the components that hold dates and times (the console renders those in words). */
const COMPONENT_TYPES: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  TS: { 1: 'DTM' },
  TQ: { 4: 'TS', 5: 'TS' },
  DR: { 1: 'TS', 2: 'TS' },
  FC: { 2: 'TS' },
  DLN: { 3: 'DT' },
  CX: { 7: 'DT', 8: 'DT' },
  XPN: { 12: 'TS', 13: 'TS' },
  XAD: { 13: 'TS', 14: 'TS' },
}

export function componentType(type: string | undefined, component: number): string | undefined {
  return type ? COMPONENT_TYPES[type]?.[component] : undefined
}

export function componentName(type: string | undefined, component: number): string | undefined {
  if (!type) return undefined
  return COMPONENTS[type]?.[component - 1]
}
