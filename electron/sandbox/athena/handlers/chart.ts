/**
 * Chart reads (reference §4.3). Every chart endpoint requires departmentid (H), which picks the
 * chart; all seeded departments share one chart sharing group, so any valid department works.
 * Shapes follow captured responses (M): medications are an array of arrays, lab results sit under
 * `results` with `analytes`, clinical audit stamps are ISO-8601 with offset.
 */
import type { RequestContext, RouteDef, World } from '../context'
import type { Patient } from '../store'
import { badRequest, invalidData } from '../errors'
import { envelope, LARGE_LIMITS } from '../pagination'
import { emptyChart, generateChart, VITAL_KEYS, type Chart } from '../seed/chart'
import { EASTERN, formatDay, formatIsoOffset, formatStamp, todayIn } from '../time'
import { requirePatient } from './patients'

const easternDay = (epoch: number): number => todayIn(epoch, EASTERN)

function chartFor(ctx: RequestContext): Chart {
  ctx.params.require('departmentid')
  const deptid = ctx.params.int('departmentid')!
  if (!ctx.world.store.departments.has(deptid)) throw badRequest('Invalid department ID.', `Department ${deptid} does not exist.`)
  return chartOf(ctx.world, requirePatient(ctx, ctx.pathParams.patientid))
}

/** A patient's chart, generated on first read (the FHIR side reads the same charts). */
export function chartOf(world: World, p: Patient): Chart {
  let chart = world.charts.get(p.patientid)
  if (!chart) {
    chart = p.seeded ? generateChart(world.store.seed, p, world.store.seedEpoch) : emptyChart(p.lastModifiedAt)
    world.charts.set(p.patientid, chart)
  }
  return chart
}

function allergies(ctx: RequestContext) {
  const chart = chartFor(ctx)
  const showInactive = ctx.params.bool('showinactive')
  const rows = chart.allergies
    .filter((a) => showInactive || a.deactivatedday === undefined)
    .map((a) => {
      const out: Record<string, unknown> = {
        allergenid: a.allergenid,
        allergenname: a.allergenname,
        criticality: a.criticality,
        reactions: a.reactions.map((r) => ({ ...r })),
        lastmodifieddatetime: formatIsoOffset(a.lastModifiedAt),
      }
      if (a.rxnormcode) out.rxnormcode = a.rxnormcode
      if (a.onsetday !== undefined) out.onsetdate = formatDay(a.onsetday)
      if (a.deactivatedday !== undefined) out.deactivatedate = formatDay(a.deactivatedday)
      return out
    })
  return {
    body: {
      allergies: rows,
      nkda: chart.nkda,
      lastupdated: formatDay(easternDay(chart.sectionLastUpdated)),
      lastmodifieddatetime: formatIsoOffset(chart.sectionLastUpdated),
    },
  }
}

function medications(ctx: RequestContext) {
  const chart = chartFor(ctx)
  const type = ctx.params.get('medicationtype')?.toUpperCase()
  const showRxnorm = ctx.params.bool('showrxnorm')
  const meds = chart.medications.filter((m) => (type ? m.type === type : m.type !== 'DENIED'))
  return {
    body: {
      // Array of arrays: each inner array holds one medication's entries (M).
      medications: meds.map((m) => {
        const events: Array<Record<string, string>> = [
          { eventdate: formatDay(m.startday), type: 'START' },
          { eventdate: formatDay(m.enteredday), type: 'ENTER', userdisplayname: m.createdby },
        ]
        if (m.endday !== undefined) events.push({ eventdate: formatDay(m.endday), type: 'END' })
        if (m.type === 'DENIED') events.push({ eventdate: formatDay(m.enteredday), type: 'DENY' })
        const entry: Record<string, unknown> = {
          medicationid: m.medicationid,
          medicationentryid: m.medicationentryid,
          medication: m.medication,
          therapeuticclass: m.therapeuticclass,
          unstructuredsig: m.unstructuredsig,
          isstructuredsig: false,
          issafetorenew: m.type === 'ACTIVE',
          isdiscontinued: m.endday !== undefined,
          source: m.source,
          createdby: m.createdby,
          events,
        }
        if (showRxnorm) entry.rxnorm = [m.rxnorm]
        return [entry]
      }),
      nomedicationsreported: chart.medications.length === 0 && chart.nkda,
      lastupdated: formatDay(easternDay(chart.sectionLastUpdated)),
    },
  }
}

function problems(ctx: RequestContext) {
  const chart = chartFor(ctx)
  const showInactive = ctx.params.bool('showinactive')
  const rows = chart.problems
    .filter((p) => showInactive || p.endday === undefined)
    .map((p) => {
      const events: Array<Record<string, string>> = [
        { eventtype: 'START', startdate: formatDay(p.startday), onsetdate: formatDay(p.onsetday), createddate: formatDay(p.startday), createdby: p.createdby, status: p.status },
      ]
      if (p.endday !== undefined) events.push({ eventtype: 'END', startdate: formatDay(p.endday), createddate: formatDay(p.endday), createdby: p.createdby })
      return {
        problemid: p.problemid,
        code: p.code,
        codeset: 'SNOMED',
        name: p.name,
        bestmatchicd10code: p.bestmatchicd10code,
        lastmodifiedby: p.createdby,
        lastmodifieddatetime: formatIsoOffset(p.lastModifiedAt),
        events,
      }
    })
  return { body: { problems: rows, totalcount: rows.length, lastupdated: formatDay(easternDay(chart.sectionLastUpdated)) } }
}

function dayFilter(ctx: RequestContext): (epoch: number) => boolean {
  const start = ctx.params.day('startdate')
  const end = ctx.params.day('enddate')
  return (epoch) => {
    const day = easternDay(epoch)
    return (start === undefined || day >= start) && (end === undefined || day <= end)
  }
}

function vitals(ctx: RequestContext) {
  const chart = chartFor(ctx)
  const inRange = dayFilter(ctx)
  const sets = chart.vitals.filter((v) => inRange(v.takenAt))
  const rows = VITAL_KEYS.map((k, ordering) => ({
    abbreviation: k.abbreviation,
    key: k.key,
    ordering,
    readings: sets.map((s) =>
      s.readings[k.key]!.map((r) => ({
        clinicalelementid: r.clinicalelementid,
        value: r.value,
        unit: r.unit,
        code: r.code,
        codeset: 'LOINC',
        readingtaken: formatStamp(s.takenAt),
        createddate: formatDay(easternDay(s.takenAt)),
        source: 'ENCOUNTER',
        vitalid: r.vitalid,
        readingid: r.readingid,
      })),
    ),
  })).filter((v) => v.readings.length > 0 || ctx.params.bool('showemptyvitals'))
  return { body: { vitals: rows, totalcount: rows.length } }
}

function labResults(ctx: RequestContext) {
  const chart = chartFor(ctx)
  const inRange = dayFilter(ctx)
  const rows = chart.labs.filter((l) => inRange(l.takenAt))
  return {
    body: envelope(ctx, 'results', rows, LARGE_LIMITS, (l) => {
      const out: Record<string, unknown> = {
        labresultid: l.labresultid,
        description: l.description,
        labresultloinc: l.loinc,
        priority: '2',
        resultstatus: 'final',
        labresultdate: formatDay(easternDay(l.takenAt)),
        labresultdatetime: formatStamp(l.takenAt),
        createddate: formatDay(easternDay(l.resultedAt)),
        createddatetime: formatStamp(l.resultedAt),
        performinglabname: 'Sandbox Reference Laboratory',
        attachmentexists: false,
        isreviewedbyprovider: '1',
        analytes: l.analytes.map((a) => {
          const row: Record<string, unknown> = {
            analyteid: a.analyteid,
            analytename: a.analytename,
            loinc: a.loinc,
            value: a.value,
            units: a.units,
            referencerange: a.referencerange,
            resultstatus: 'final',
            analytedate: formatDay(easternDay(l.takenAt)),
            analytedatetime: formatStamp(l.takenAt),
          }
          if (a.abnormalflag) row.abnormalflag = a.abnormalflag
          return row
        }),
      }
      if (l.providerid !== undefined) out.providerid = l.providerid
      return out
    }),
  }
}

/**
 * POST /chart/{patientid}/vitals (M, a production client's createVitals): `departmentid`,
 * `source`, and `vitals` = a JSON array of reading groups, each reading `{clinicalelementid, value,
 * readingtaken?}`. Unknown clinical elements are "The data provided is invalid." (U).
 */
function createVitals(ctx: RequestContext) {
  ctx.params.require('departmentid', 'vitals')
  const chart = chartFor(ctx)
  let groups: unknown
  try {
    groups = JSON.parse(ctx.params.get('vitals')!)
  } catch {
    throw invalidData('vitals is not JSON.')
  }
  if (!Array.isArray(groups) || groups.some((g) => !Array.isArray(g))) throw invalidData('vitals must be an array of arrays of readings.')
  const elements = new Map(VITAL_KEYS.flatMap((k) => k.elements.map((e) => [e.id, { key: k.key, ...e }] as const)))
  const set = { takenAt: ctx.now, readings: Object.fromEntries(VITAL_KEYS.map((k) => [k.key, [] as Chart['vitals'][number]['readings'][string]])) }
  const vitalids: number[] = []
  let next = 900_000_000 + chart.vitals.length * 100
  for (const g of groups as unknown[][]) {
    for (const r of g) {
      const rd = r as { clinicalelementid?: unknown; value?: unknown }
      const el = typeof rd.clinicalelementid === 'string' ? elements.get(rd.clinicalelementid) : undefined
      if (!el) throw invalidData(`Unknown clinicalelementid ${String(rd.clinicalelementid)}.`)
      if (rd.value === undefined || rd.value === null || String(rd.value).trim() === '') throw invalidData(`A value is required for ${el.id}.`)
      const id = next++
      set.readings[el.key]!.push({ clinicalelementid: el.id, value: String(rd.value), unit: el.unit, code: el.code, readingid: id, vitalid: id })
      vitalids.push(id)
    }
  }
  chart.vitals.push(set)
  chart.sectionLastUpdated = ctx.now
  return { body: { success: true, vitalids } }
}

export const chartRoutes: RouteDef[] = [
  { method: 'POST', path: '/chart/:patientid/vitals', handler: createVitals },
  { method: 'GET', path: '/chart/:patientid/allergies', handler: allergies },
  { method: 'GET', path: '/chart/:patientid/medications', handler: medications },
  { method: 'GET', path: '/chart/:patientid/problems', handler: problems },
  { method: 'GET', path: '/chart/:patientid/vitals', handler: vitals },
  { method: 'GET', path: '/chart/:patientid/labresults', handler: labResults },
]
