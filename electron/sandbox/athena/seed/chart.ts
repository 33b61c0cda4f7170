/**
 * Clinical chart data, generated lazily per patient from (seed, patientid) so a 10,000-patient
 * practice costs nothing until a chart is read, yet every read of a chart is identical.
 * Codes are real public code-system values (RxNorm, SNOMED CT, ICD-10-CM, LOINC); the pairing
 * with a synthetic patient is random.
 */
import { createRng } from '../prng'
import type { Patient } from '../store'

export interface ChartAllergy {
  allergenid: number
  allergenname: string
  rxnormcode?: string
  onsetday?: number
  criticality: string
  reactions: Array<{ reactionname: string; snomedcode: string; severity: string; severitysnomedcode: string }>
  deactivatedday?: number
  lastModifiedAt: number
}

export interface ChartMedication {
  medicationid: number
  medicationentryid: string
  medication: string
  rxnorm: string
  therapeuticclass: string
  unstructuredsig: string
  startday: number
  enteredday: number
  endday?: number
  type: 'ACTIVE' | 'HISTORICAL' | 'DENIED'
  createdby: string
  source: string
}

export interface ChartProblem {
  problemid: number
  code: string
  name: string
  bestmatchicd10code: string
  startday: number
  onsetday: number
  status: 'CHRONIC' | 'ACUTE'
  endday?: number
  lastModifiedAt: number
  createdby: string
}

export interface ChartVitalReading {
  clinicalelementid: string
  value: string
  unit: string
  code: string
  readingid: number
  vitalid: number
}

export interface ChartVitalSet {
  /** Epoch of the encounter where the reading set was taken. */
  takenAt: number
  readings: Record<string, ChartVitalReading[]>
}

export interface ChartAnalyte {
  analyteid: number
  analytename: string
  loinc: string
  value: string
  units: string
  referencerange: string
  abnormalflag?: string
}

export interface ChartLabResult {
  labresultid: number
  description: string
  loinc: string
  takenAt: number
  resultedAt: number
  providerid?: number
  analytes: ChartAnalyte[]
}

export interface Chart {
  nkda: boolean
  allergies: ChartAllergy[]
  medications: ChartMedication[]
  problems: ChartProblem[]
  vitals: ChartVitalSet[]
  labs: ChartLabResult[]
  sectionLastUpdated: number
}

const DAY = 86_400_000

const ALLERGENS = [
  { allergenid: 10_110, allergenname: 'Penicillins', rxnormcode: '7980' },
  { allergenid: 10_254, allergenname: 'Sulfa (Sulfonamide Antibiotics)', rxnormcode: '10180' },
  { allergenid: 10_304, allergenname: 'codeine', rxnormcode: '2670' },
  { allergenid: 10_412, allergenname: 'aspirin', rxnormcode: '1191' },
  { allergenid: 10_533, allergenname: 'ibuprofen', rxnormcode: '5640' },
  { allergenid: 10_700, allergenname: 'lisinopril', rxnormcode: '29046' },
  { allergenid: 20_031, allergenname: 'Latex' },
  { allergenid: 20_118, allergenname: 'Peanut' },
  { allergenid: 20_145, allergenname: 'Shellfish' },
  { allergenid: 20_390, allergenname: 'Bee venom' },
]

const REACTIONS = [
  { reactionname: 'hives', snomedcode: '247472004' },
  { reactionname: 'rash', snomedcode: '271807003' },
  { reactionname: 'anaphylaxis', snomedcode: '39579001' },
  { reactionname: 'nausea', snomedcode: '422587007' },
  { reactionname: 'angioedema', snomedcode: '41291007' },
  { reactionname: 'shortness of breath', snomedcode: '267036007' },
]

const SEVERITIES = [
  { severity: 'mild', severitysnomedcode: '255604002' },
  { severity: 'moderate', severitysnomedcode: '6736007' },
  { severity: 'severe', severitysnomedcode: '24484000' },
]

const MEDICATIONS = [
  { medicationid: 231_101, medication: 'lisinopril 10 mg tablet', rxnorm: '314076', therapeuticclass: 'ACE INHIBITORS', sig: 'Take 1 tablet every day by oral route.' },
  { medicationid: 231_188, medication: 'atorvastatin 20 mg tablet', rxnorm: '617310', therapeuticclass: 'ANTIHYPERLIPIDEMIC - HMG COA REDUCTASE INHIBITORS', sig: 'Take 1 tablet every day by oral route at bedtime.' },
  { medicationid: 231_240, medication: 'metformin 500 mg tablet', rxnorm: '861007', therapeuticclass: 'ANTIHYPERGLYCEMIC, BIGUANIDE TYPE', sig: 'Take 1 tablet twice a day by oral route with meals.' },
  { medicationid: 231_377, medication: 'levothyroxine 50 mcg tablet', rxnorm: '966222', therapeuticclass: 'THYROID HORMONES', sig: 'Take 1 tablet every day by oral route in the morning.' },
  { medicationid: 231_402, medication: 'albuterol sulfate HFA 90 mcg/actuation aerosol inhaler', rxnorm: '745679', therapeuticclass: 'BETA-ADRENERGIC AGENTS', sig: 'Inhale 2 puffs every 4-6 hours as needed by inhalation route.' },
  { medicationid: 231_455, medication: 'sertraline 50 mg tablet', rxnorm: '312940', therapeuticclass: 'SELECTIVE SEROTONIN REUPTAKE INHIBITOR (SSRIS)', sig: 'Take 1 tablet every day by oral route.' },
  { medicationid: 231_519, medication: 'amlodipine 5 mg tablet', rxnorm: '197361', therapeuticclass: 'CALCIUM CHANNEL BLOCKING AGENTS', sig: 'Take 1 tablet every day by oral route.' },
  { medicationid: 231_602, medication: 'amoxicillin 500 mg capsule', rxnorm: '308191', therapeuticclass: 'PENICILLIN ANTIBIOTICS', sig: 'Take 1 capsule three times a day by oral route for 10 days.' },
  { medicationid: 231_688, medication: 'ibuprofen 600 mg tablet', rxnorm: '197806', therapeuticclass: 'NSAIDS', sig: 'Take 1 tablet every 6 hours as needed by oral route with food.' },
]

const PROBLEMS = [
  { code: '59621000', name: 'Essential hypertension', icd10: 'I10', status: 'CHRONIC' as const },
  { code: '44054006', name: 'Type 2 diabetes mellitus', icd10: 'E11.9', status: 'CHRONIC' as const },
  { code: '195967001', name: 'Asthma', icd10: 'J45.909', status: 'CHRONIC' as const },
  { code: '55822004', name: 'Hyperlipidemia', icd10: 'E78.5', status: 'CHRONIC' as const },
  { code: '235595009', name: 'Gastroesophageal reflux disease', icd10: 'K21.9', status: 'CHRONIC' as const },
  { code: '197480006', name: 'Anxiety disorder', icd10: 'F41.9', status: 'CHRONIC' as const },
  { code: '37796009', name: 'Migraine', icd10: 'G43.909', status: 'CHRONIC' as const },
  { code: '40930008', name: 'Hypothyroidism', icd10: 'E03.9', status: 'CHRONIC' as const },
  { code: '279039007', name: 'Low back pain', icd10: 'M54.50', status: 'ACUTE' as const },
  { code: '36971009', name: 'Sinusitis', icd10: 'J32.9', status: 'ACUTE' as const },
]

interface AnalyteDef {
  name: string
  loinc: string
  units: string
  low: number
  high: number
  min: number
  max: number
  decimals: number
}

const PANELS: Array<{ description: string; loinc: string; analytes: AnalyteDef[] }> = [
  { description: 'Hemoglobin A1c', loinc: '4548-4', analytes: [{ name: 'Hemoglobin A1c', loinc: '4548-4', units: '%', low: 4, high: 5.6, min: 4.8, max: 9.8, decimals: 1 }] },
  {
    description: 'Basic metabolic panel',
    loinc: '51990-0',
    analytes: [
      { name: 'Glucose', loinc: '2345-7', units: 'mg/dL', low: 70, high: 99, min: 72, max: 190, decimals: 0 },
      { name: 'Sodium', loinc: '2951-2', units: 'mmol/L', low: 136, high: 145, min: 133, max: 147, decimals: 0 },
      { name: 'Potassium', loinc: '2823-3', units: 'mmol/L', low: 3.5, high: 5.1, min: 3.3, max: 5.4, decimals: 1 },
      { name: 'Creatinine', loinc: '2160-0', units: 'mg/dL', low: 0.6, high: 1.3, min: 0.5, max: 1.7, decimals: 2 },
    ],
  },
  {
    description: 'Lipid panel',
    loinc: '57698-3',
    analytes: [
      { name: 'Cholesterol, total', loinc: '2093-3', units: 'mg/dL', low: 0, high: 199, min: 140, max: 280, decimals: 0 },
      { name: 'LDL cholesterol', loinc: '13457-7', units: 'mg/dL', low: 0, high: 99, min: 60, max: 190, decimals: 0 },
      { name: 'HDL cholesterol', loinc: '2085-9', units: 'mg/dL', low: 40, high: 200, min: 30, max: 85, decimals: 0 },
      { name: 'Triglycerides', loinc: '2571-8', units: 'mg/dL', low: 0, high: 149, min: 60, max: 320, decimals: 0 },
    ],
  },
  {
    description: 'CBC with differential',
    loinc: '58410-2',
    analytes: [
      { name: 'WBC', loinc: '6690-2', units: '10*3/uL', low: 4.5, high: 11, min: 3.8, max: 12.5, decimals: 1 },
      { name: 'Hemoglobin', loinc: '718-7', units: 'g/dL', low: 12, high: 17.5, min: 10.8, max: 17.9, decimals: 1 },
      { name: 'Platelets', loinc: '777-3', units: '10*3/uL', low: 150, high: 400, min: 130, max: 430, decimals: 0 },
    ],
  },
]

/** Clinical element ids and LOINC codes of athena vitals (M). */
export const VITAL_KEYS: Array<{ key: string; abbreviation: string; elements: Array<{ id: string; code: string; unit: string }> }> = [
  { key: 'BLOODPRESSURE', abbreviation: 'BP', elements: [{ id: 'VITALS.BLOODPRESSURE.SYSTOLIC', code: '8480-6', unit: 'mmHg' }, { id: 'VITALS.BLOODPRESSURE.DIASTOLIC', code: '8462-4', unit: 'mmHg' }] },
  { key: 'HEARTRATE', abbreviation: 'Pulse', elements: [{ id: 'VITALS.HEARTRATE', code: '8867-4', unit: '/min' }] },
  { key: 'RESPIRATIONRATE', abbreviation: 'RR', elements: [{ id: 'VITALS.RESPIRATIONRATE', code: '9279-1', unit: '/min' }] },
  { key: 'TEMPERATURE', abbreviation: 'Temp', elements: [{ id: 'VITALS.TEMPERATURE', code: '8310-5', unit: '[degF]' }] },
  { key: 'HEIGHT', abbreviation: 'Ht', elements: [{ id: 'VITALS.HEIGHT', code: '8302-2', unit: 'cm' }] },
  { key: 'WEIGHT', abbreviation: 'Wt', elements: [{ id: 'VITALS.WEIGHT', code: '29463-7', unit: 'kg' }] },
  { key: 'BMI', abbreviation: 'BMI', elements: [{ id: 'VITALS.BMI', code: '39156-5', unit: 'kg/m2' }] },
]

const CLINICIANS = ['aokafor', 'dbrennan', 'mchen', 'rsoto', 'praman', 'jwhitfield', 'fhaddad', 'epetrov', 'kmensah', 'slindqvist']

export function emptyChart(now: number): Chart {
  return { nkda: false, allergies: [], medications: [], problems: [], vitals: [], labs: [], sectionLastUpdated: now }
}

export function generateChart(seed: number | string, patient: Patient, seedEpoch: number): Chart {
  const rng = createRng(seed, 'chart', patient.patientid)
  const today = Math.floor(seedEpoch / DAY)
  const pid = patient.patientid
  const ageDays = today - patient.dob
  const adult = ageDays > 18 * 365
  const since = (maxDays: number): number => today - rng.int(1, Math.max(2, Math.min(maxDays, ageDays)))

  const chart = emptyChart(seedEpoch - rng.int(1, 90) * DAY)
  const allergyCount = rng.weighted([0, 1, 2, 3], [55, 28, 12, 5])
  chart.nkda = allergyCount === 0 && rng.chance(0.7)
  chart.allergies = rng.sample(ALLERGENS, allergyCount).map((a) => {
    const reaction = rng.pick(REACTIONS)
    const sev = reaction.reactionname === 'anaphylaxis' ? SEVERITIES[2]! : rng.pick(SEVERITIES)
    return {
      ...a,
      onsetday: rng.chance(0.6) ? since(3650) : undefined,
      criticality: sev.severity === 'severe' ? 'high' : 'low',
      reactions: [{ ...reaction, ...sev }],
      deactivatedday: rng.chance(0.08) ? since(200) : undefined,
      lastModifiedAt: seedEpoch - rng.int(1, 900) * DAY,
    }
  })

  const medCount = adult ? rng.weighted([0, 1, 2, 3, 4], [25, 25, 25, 15, 10]) : rng.weighted([0, 1], [75, 25])
  chart.medications = rng.sample(MEDICATIONS, medCount).map((m, i) => {
    const startday = since(1500)
    const type = m.rxnorm === '308191' ? 'HISTORICAL' : rng.weighted<'ACTIVE' | 'HISTORICAL' | 'DENIED'>(['ACTIVE', 'HISTORICAL', 'DENIED'], [80, 17, 3])
    return {
      medicationid: m.medicationid,
      medicationentryid: `H${pid * 10 + i}`,
      medication: m.medication,
      rxnorm: m.rxnorm,
      therapeuticclass: m.therapeuticclass,
      unstructuredsig: m.sig,
      startday,
      enteredday: Math.min(today, startday + rng.int(0, 3)),
      endday: type === 'HISTORICAL' ? Math.min(today - 1, startday + rng.int(10, 200)) : undefined,
      type,
      createdby: rng.pick(CLINICIANS),
      source: rng.pick(['Patient reported', 'Prescription', 'Outside records']),
    }
  })

  const problemCount = adult ? rng.weighted([0, 1, 2, 3], [35, 35, 20, 10]) : rng.weighted([0, 1], [80, 20])
  chart.problems = rng.sample(PROBLEMS, problemCount).map((p, i) => {
    const startday = since(2500)
    return {
      problemid: pid * 100 + i,
      code: p.code,
      name: p.name,
      bestmatchicd10code: p.icd10,
      startday,
      onsetday: startday - rng.int(0, 60),
      status: p.status,
      endday: p.status === 'ACUTE' && rng.chance(0.6) ? Math.min(today - 1, startday + rng.int(7, 60)) : undefined,
      lastModifiedAt: seedEpoch - rng.int(1, 700) * DAY,
      createdby: rng.pick(CLINICIANS),
    }
  })

  const heightCm = adult ? rng.int(150, 195) : Math.min(175, 50 + Math.floor(ageDays / 365) * 6.5)
  const weightKg = adult ? rng.int(48, 120) : Math.max(3, Math.round(3.5 + (ageDays / 365) * 3))
  const encounters = rng.int(0, 3)
  let readingid = pid * 1000
  for (let e = 0; e < encounters; e++) {
    const takenAt = seedEpoch - rng.int(3, 700) * DAY - rng.int(0, 8 * 3600) * 1000
    const values: Record<string, string[]> = {
      BLOODPRESSURE: [String(rng.int(adult ? 104 : 90, adult ? 158 : 118)), String(rng.int(adult ? 62 : 50, adult ? 98 : 78))],
      HEARTRATE: [String(rng.int(adult ? 56 : 75, adult ? 98 : 130))],
      RESPIRATIONRATE: [String(rng.int(12, adult ? 20 : 30))],
      TEMPERATURE: [(97.4 + rng.int(0, 18) / 10).toFixed(1)],
      HEIGHT: [heightCm.toFixed(2)],
      WEIGHT: [(weightKg + rng.int(-20, 20) / 10).toFixed(1)],
      BMI: [(weightKg / (heightCm / 100) ** 2).toFixed(1)],
    }
    const readings: Record<string, ChartVitalReading[]> = {}
    for (const v of VITAL_KEYS) {
      readings[v.key] = v.elements.map((el, j) => ({
        clinicalelementid: el.id,
        value: values[v.key]![j]!,
        unit: el.unit,
        code: el.code,
        readingid: ++readingid,
        vitalid: readingid,
      }))
    }
    chart.vitals.push({ takenAt, readings })
  }
  chart.vitals.sort((a, b) => b.takenAt - a.takenAt)

  const labCount = adult ? rng.weighted([0, 1, 2, 3], [35, 30, 20, 15]) : rng.weighted([0, 1], [85, 15])
  let analyteid = pid * 100
  for (let i = 0; i < labCount; i++) {
    const panel = rng.pick(PANELS)
    const takenAt = seedEpoch - rng.int(2, 500) * DAY - rng.int(0, 6 * 3600) * 1000
    chart.labs.push({
      labresultid: 2_000_000 + pid * 10 + i,
      description: panel.description,
      loinc: panel.loinc,
      takenAt,
      resultedAt: takenAt + rng.int(4, 48) * 3_600_000,
      providerid: patient.primaryproviderid,
      analytes: panel.analytes.map((a) => {
        const value = a.min + rng.next() * (a.max - a.min)
        const flag = value < a.low ? 'low' : value > a.high ? 'high' : undefined
        return {
          analyteid: ++analyteid,
          analytename: a.name,
          loinc: a.loinc,
          value: value.toFixed(a.decimals),
          units: a.units,
          referencerange: a.low === 0 ? `<${a.high + (a.decimals ? 0 : 1)}` : `${a.low}-${a.high}`,
          abnormalflag: flag,
        }
      }),
    })
  }
  chart.labs.sort((a, b) => b.takenAt - a.takenAt)
  return chart
}
