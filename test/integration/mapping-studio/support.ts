/**
 * A connector that maps through the mapping store the way the HL7 and athenaNet handlers do:
 * `ctx.mappings.effective()` for the set in force, `recordMisses()` for every code-map miss, and a
 * transaction error when the mapping has errors. Its payloads are CSV (header + one row) mapped
 * with the shipped csv.patient.in set, so the worklist can be exercised end to end in-process.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { AppError } from '../../../shared/errors'
import type { ConnectorModule } from '../../../electron/engine/core/engine'
import { csvRowAccessor, evaluateMapping } from '../../../electron/engine/mapping'
import type { ConnectorHandler } from '../../../electron/engine/pipeline/connector-handler'

export const CSV_HEADER = 'Id,BIRTHDATE,DEATHDATE,FIRST,LAST,RACE,ETHNICITY,GENDER,ADDRESS,CITY,STATE,ZIP'

export function csvPatient(id: string, gender = 'F', race = 'white'): string {
  return `${CSV_HEADER}\n${id},1987-06-18,,Elena7,Quintero3,${race},hispanic,${gender},1 Main St,Boston,Massachusetts,02110\n`
}

export const csvConnector: ConnectorModule = (engine) => {
  const { mappings, practices } = engine.ctx
  const handler: ConnectorHandler<Record<string, string>, Record<string, unknown>> = {
    connector: 'csvtest',
    direction: 'in',
    maxAttempts: 1,
    parse(ctx) {
      const rows = parseCsv(ctx.payload.toString('utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[]
      if (!rows[0]) throw new AppError('parse_error', 'no row')
      ctx.setParsed(rows[0])
      return rows[0]
    },
    map(row, ctx) {
      const practice = practices.get(ctx.tx.practice_id)
      const eff = mappings.effective(ctx.tx.practice_id, 'csv.patient.in')
      const r = evaluateMapping(eff.set, csvRowAccessor(row), { practiceId: practice.id, defaultTimeZone: practice.timeZone, now: () => ctx.clock.now() })
      mappings.recordMisses(ctx.tx.practice_id, 'csv.patient.in', r.codeMisses, ctx.tx.id)
      ctx.setMapped(r.output)
      if (!r.ok) {
        const first = r.errors[0]!
        throw new AppError(first.code === 'code_map_miss' ? 'code_map_miss' : 'mapping_error', `${first.target}: ${first.message}`, { retryable: false })
      }
      return r.output
    },
    apply(mapped, ctx) {
      ctx.records.upsert({ practiceId: ctx.tx.practice_id, kind: 'patient', ids: [{ system: 'csvtest', value: String(mapped.external_id) }], data: mapped, txId: ctx.tx.id })
    },
  }
  engine.ctx.pipeline.register(handler)
}
