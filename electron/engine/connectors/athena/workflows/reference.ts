/**
 * Reference data (departments with their time zones, providers, appointment types, patient
 * appointment reasons per department and provider, cancel reasons), cached per practice. Reasons
 * are read for each (department, provider) pair the department lists, as athena requires both.
 */
import type { AthenaClient } from '../client/athena-client'
import { asId } from '../client/response'
import type { ReferenceKind } from '../store/reference-repo'
import type { AthenaRuntime } from '../runtime'

type Item = Record<string, unknown>

export interface ReferenceCounts {
  departments: number
  providers: number
  appointmentTypes: number
  reasons: number
  cancelReasons: number
}

export async function syncReference(runtime: AthenaRuntime, practiceId: string, client: AthenaClient, signal?: AbortSignal): Promise<ReferenceCounts> {
  const now = runtime.ctx.clock.now()
  const departments = await client.all<Item>('/departments', { providerlist: true }, { signal })
  const providers = await client.all<Item>('/providers', {}, { signal })
  const types = await client.all<Item>('/appointmenttypes', {}, { signal })
  const cancelReasons = await client.all<Item>('/appointmentcancelreasons', {}, { signal })
  const reasons = new Map<string, Item & { departmentids: string[]; providerids: string[] }>()
  for (const d of departments) {
    const dept = asId(d.departmentid)
    if (!dept) continue
    const list = Array.isArray(d.providerlist) ? d.providerlist.map(asId).filter((x): x is string => x !== null) : []
    for (const prov of list) {
      const rows: Item[] = await client.all<Item>('/patientappointmentreasons', { departmentid: dept, providerid: prov }, { signal })
      for (const r of rows) {
        const id = asId(r.reasonid)
        if (!id) continue
        const cur: Item & { departmentids: string[]; providerids: string[] } = reasons.get(id) ?? { ...r, departmentids: [], providerids: [] }
        if (!cur.departmentids.includes(dept)) cur.departmentids.push(dept)
        if (!cur.providerids.includes(prov)) cur.providerids.push(prov)
        reasons.set(id, cur)
      }
    }
  }
  const put = (kind: ReferenceKind, items: Item[], idField: string): number => {
    const rows = items.map((x) => ({ id: asId(x[idField]) ?? '', data: x })).filter((x) => x.id !== '')
    runtime.reference.replace(practiceId, kind, rows, now)
    return rows.length
  }
  return {
    departments: put('department', departments, 'departmentid'),
    providers: put('provider', providers, 'providerid'),
    appointmentTypes: put('appointmenttype', types, 'appointmenttypeid'),
    reasons: put('reason', [...reasons.values()], 'reasonid'),
    cancelReasons: put('cancelreason', cancelReasons, 'appointmentcancelreasonid'),
  }
}

/** Department ids to sync: the connection's list, else every cached department (loaded on demand). */
export async function departmentIds(runtime: AthenaRuntime, practiceId: string, client: AthenaClient, configured: string[], signal?: AbortSignal): Promise<string[]> {
  if (configured.length) return configured
  if (runtime.reference.count(practiceId, 'department') === 0) await syncReference(runtime, practiceId, client, signal)
  return runtime.reference.list(practiceId, 'department').map((d) => d.id)
}
