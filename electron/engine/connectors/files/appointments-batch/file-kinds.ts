/**
 * The appointment batch as file kinds, so part 1's file jobs carry it: inbound `appointments`
 * (a picked-up schedule file is applied through the same parse, rules and cursor as
 * `appointments.importFile`) and outbound `appointments-export` (the stored appointments of the
 * next days, written through the outbound drop). Both keep their scheduled runs out of the
 * 01:00–03:00 local DST changeover.
 */
import { DateTime } from 'luxon'
import type { InboundFileKind, OutboundFileKind } from '../kinds/file-kind'
import type { AppointmentBatches } from './batch-service'
import { APPOINTMENT_IN_SET, APPOINTMENT_OUT_SET } from './mappings'

/** Local hours a nightly batch never runs in: DST changes skip or repeat an hour between 01:00 and 03:00. */
export const DST_QUIET_WINDOW = { start: '01:00', end: '03:00' }

export function appointmentFileKinds(batches: AppointmentBatches): [InboundFileKind, OutboundFileKind] {
  const inbound: InboundFileKind = {
    kind: 'appointments',
    direction: 'inbound',
    label: 'Appointment batch (schedule file)',
    defaultMappingKey: APPOINTMENT_IN_SET,
    contentType: 'csv',
    quietWindow: DST_QUIET_WINDOW,
    check(bytes, job) {
      const r = batches.checkFile(job.practiceId, job.config.format.type === 'csv' ? 'schedule.csv' : 'schedule.json', bytes)
      return { rows: r.rows.length, summary: { format: r.format, columns: r.columns } }
    },
    async apply(_input, pctx) {
      const run = await batches.applyStored(pctx)
      return JSON.stringify({ runId: run.id, counts: run.counts })
    },
  }
  const outbound: OutboundFileKind = {
    kind: 'appointments-export',
    direction: 'outbound',
    label: 'Appointment export',
    defaultMappingKey: APPOINTMENT_OUT_SET,
    quietWindow: DST_QUIET_WINDOW,
    async produce(job, ctx) {
      // The job's export range (default: today and the next 13 days), in the practice's time zone.
      const { fromDays, days } = job.config.exportRange
      const first = DateTime.fromMillis(ctx.clock.now(), { zone: ctx.practices.get(job.practiceId).timeZone }).plus({ days: fromDays })
      const format = job.config.format.type === 'csv' ? 'csv' : 'json'
      const out = batches.export(job.practiceId, first.toISODate()!, first.plus({ days: days - 1 }).toISODate()!, format, `file job ${job.id}`, `job:${job.id}`)
      return { content: Buffer.from(out.content, 'utf8'), rows: out.rows, contentType: format }
    },
  }
  return [inbound, outbound]
}
