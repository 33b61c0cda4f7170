/**
 * Practice-level endpoints: /ping, /practiceinfo, /departments, /providers (reference §4.5).
 */
import type { RequestContext, RouteDef } from '../context'
import { notFound } from '../errors'
import { envelope, STANDARD_LIMITS } from '../pagination'
import type { Department, Provider } from '../store'
import { departmentZoneInfo } from '../time'

function renderDepartment(ctx: RequestContext, d: Department): Record<string, unknown> {
  const out: Record<string, unknown> = {
    departmentid: String(d.departmentid),
    name: d.name,
    patientdepartmentname: d.patientdepartmentname,
    providergroupid: String(d.providergroupid),
    providergroupname: d.providergroupname,
    chartsharinggroupid: String(d.chartsharinggroupid),
    communicatorbrandid: '1',
    address: d.address,
    city: d.city,
    state: d.state,
    zip: d.zip,
    phone: d.phone,
    timezonename: d.timezonename,
    ...departmentZoneInfo(ctx.now, d.timezonename),
    placeofservicetypeid: d.placeofservicetypeid,
    placeofservicetypename: d.placeofservicetypename,
    clinicals: d.clinicals,
    ishospitaldepartment: false,
    placeofservicefacility: false,
    servicedepartment: true,
    medicationhistoryconsent: false,
  }
  if (d.address2) out.address2 = d.address2
  const wantList = ctx.params.bool('providerlist') || ctx.params.bool('fullproviderlist')
  if (wantList) {
    out.providerlist = [...ctx.world.store.providers.values()]
      .filter((p) => p.departmentIds.includes(d.departmentid))
      .map((p) => String(p.providerid))
  }
  return out
}

function renderProvider(ctx: RequestContext, p: Provider): Record<string, unknown> {
  const home = ctx.world.store.departments.get(p.homedepartmentid)
  return {
    providerid: p.providerid,
    firstname: p.firstname,
    lastname: p.lastname,
    displayname: `${p.firstname} ${p.lastname}, ${p.credential}`,
    schedulingname: `${p.lastname}_${p.firstname}`,
    specialty: p.specialty,
    specialtyid: p.specialtyid,
    providertypeid: p.providertypeid,
    providertype: p.providertype,
    ansinamecode: p.ansinamecode,
    ansispecialtycode: p.ansispecialtycode,
    npi: p.npi,
    sex: p.sex,
    billable: true,
    entitytype: 'Person',
    providerusername: p.username,
    homedepartment: home?.patientdepartmentname ?? '',
    hideinportal: false,
    createencounteroncheckin: true,
  }
}

export const practiceRoutes: RouteDef[] = [
  { method: 'GET', path: '/ping', handler: () => ({ body: { pong: 'true' } }) },
  {
    method: 'GET',
    path: '/practiceinfo',
    handler: (ctx) => {
      const p = ctx.world.store.practice
      const row = {
        practiceid: String(p.practiceid),
        name: p.name,
        golivedate: p.golivedate,
        experiencemode: p.experiencemode,
        hasclinicals: p.hasclinicals,
        hascollector: p.hascollector,
        hascommunicator: p.hascommunicator,
        iscoordinatorsender: false,
        iscoordinatorreceiver: false,
      }
      return { body: envelope(ctx, 'practiceinfo', [row], STANDARD_LIMITS) }
    },
  },
  {
    method: 'GET',
    path: '/departments',
    handler: (ctx) => {
      const rows = ctx.params.bool('hospitalonly') ? [] : [...ctx.world.store.departments.values()]
      return { body: envelope(ctx, 'departments', rows, STANDARD_LIMITS, (d) => renderDepartment(ctx, d)) }
    },
  },
  {
    method: 'GET',
    path: '/departments/:departmentid',
    handler: (ctx) => {
      const d = ctx.world.store.departments.get(ctx.pathParams.departmentid!)
      if (!d) throw notFound('The department ID is invalid.', `Department ${ctx.pathParams.departmentid} does not exist.`)
      return { body: [renderDepartment(ctx, d)] }
    },
  },
  {
    method: 'GET',
    path: '/providers',
    handler: (ctx) => ({ body: envelope(ctx, 'providers', [...ctx.world.store.providers.values()], STANDARD_LIMITS, (p) => renderProvider(ctx, p)) }),
  },
  {
    method: 'GET',
    path: '/providers/:providerid',
    handler: (ctx) => {
      const p = ctx.world.store.providers.get(ctx.pathParams.providerid!)
      if (!p) throw notFound('The provider ID is invalid.', `Provider ${ctx.pathParams.providerid} does not exist.`)
      return { body: [renderProvider(ctx, p)] }
    },
  },
]

