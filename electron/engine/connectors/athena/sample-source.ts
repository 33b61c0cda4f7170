/**
 * Sample sources for the mapping studio: a few live athenaNet patients and appointments of the
 * practice's connection, so mappings are designed on real answers. `sandbox` serves connections on
 * the local sandbox (synthetic data); `athena-live` serves preview/production connections and is
 * marked sensitive (real PHI, masked until revealed).
 */
import { AppError } from '../../../../shared/errors'
import type { EngineContext } from '../../core/engine-context'
import type { SampleSource, SampleSourceItem } from '../../mapping-store/mapping-store'
import { addDaysIso, athenaFromIsoDate, isoToday } from './client/dates'
import { asId, readList, readOne } from './client/response'
import type { AthenaRuntime } from './runtime'

type Item = Record<string, unknown>

function source(ctx: EngineContext, runtime: AthenaRuntime, live: boolean): SampleSource {
  const clientFor = (practiceId: string) => {
    const entry = runtime.entry(practiceId)
    const isSandbox = entry.config.environment === 'sandbox'
    if (isSandbox === live) {
      throw new AppError('not_found', live ? 'This practice uses the local sandbox; use the "sandbox" source.' : 'This practice is not on the local sandbox; use the "athena-live" source.')
    }
    return entry.client
  }
  return {
    label: live ? 'athenaNet (live)' : 'athenaNet sandbox',
    description: live ? "A few patients and appointments from the practice's athenaNet connection (real data, masked)" : 'A few patients and appointments from the local athenaNet sandbox',
    sensitive: live,
    async list(practiceId, opts) {
      const client = clientFor(practiceId)
      const out: SampleSourceItem[] = []
      const dept = runtime.reference.list(practiceId, 'department')[0]?.id ?? '1'
      const params: Record<string, string> = { departmentid: dept }
      if (opts.q && /^[a-z' -]{2,}$/i.test(opts.q.trim())) params.lastname = opts.q.trim()
      const patients = readList<Item>((await client.get('/patients', { ...params, limit: 5 })).body, 'patients').items
      for (const p of patients.slice(0, 5)) {
        const id = asId(p.patientid)
        if (id) out.push({ id: `patient:${id}`, label: `athena patient ${id}`, detail: live ? 'GET /patients/{id}' : `${String(p.lastname ?? '')}, ${String(p.firstname ?? '')}`, kind: 'json', suits: (set) => set.format === 'athena' && set.record === 'patient' && set.direction === 'inbound' })
      }
      const today = isoToday(ctx.clock.now(), ctx.practices.get(practiceId).timeZone)
      const appts = readList<Item>((await client.get('/appointments/booked', { departmentid: dept, startdate: athenaFromIsoDate(today), enddate: athenaFromIsoDate(addDaysIso(today, 7)), limit: 5 })).body, 'appointments').items
      for (const a of appts.slice(0, 5)) {
        const id = asId(a.appointmentid)
        if (id) out.push({ id: `appointment:${id}`, label: `athena appointment ${id}`, detail: `${String(a.date ?? '')} ${String(a.starttime ?? '')}`, kind: 'json', suits: (set) => set.format === 'athena' && set.record === 'appointment' && set.direction === 'inbound' })
      }
      return out
    },
    async load(practiceId, id) {
      const client = clientFor(practiceId)
      const m = /^(patient|appointment):(\d+)$/.exec(id)
      if (!m) throw new AppError('not_found', `Unknown sample "${id}".`)
      const body = readOne<Item>((await client.get(m[1] === 'patient' ? `/patients/${m[2]}` : `/appointments/${m[2]}`)).body)
      if (!body) throw new AppError('not_found', `athenaNet returned no ${m[1]} ${m[2]}.`)
      return { name: `athena ${m[1]} ${m[2]}`, text: JSON.stringify(body, null, 2), kind: 'json' }
    },
  }
}

export function registerSampleSources(ctx: EngineContext, runtime: AthenaRuntime): void {
  ctx.mappings.registerSampleSource('sandbox', source(ctx, runtime, false))
  ctx.mappings.registerSampleSource('athena-live', source(ctx, runtime, true))
}
