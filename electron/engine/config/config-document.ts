/**
 * The configuration document: practices with their connections, HL7 interfaces and file jobs, as
 * diff-friendly JSON (stable key order, one practice per array element, no secrets, no ids that
 * differ between installs). See docs/CONFIG.md.
 */
import { z } from 'zod'
import { connectionConfigSchema, practiceConfigSchema, slugSchema, systemSettingsSchema } from '../../../shared/config'
import { FILE_LOCATION_KINDS, fileJobConfigSchema } from '../../../shared/files'

export const CONFIG_FORMAT = 'practice-studio-config'
export const CONFIG_VERSION = 1

const connectionEntry = connectionConfigSchema
/** A file job names its location by connection name (ids differ between installs). */
const fileJobEntry = z.object({ name: slugSchema, enabled: z.boolean().default(true), location: slugSchema, config: fileJobConfigSchema.omit({ connectionId: true }) })
export const configPracticeSchema = practiceConfigSchema.extend({
  connections: z.array(connectionEntry).default([]),
  interfaces: z.array(connectionEntry).default([]),
  /** Mapping-set overrides per practice (see docs/CONFIG.md, "mappingSets"). */
  mappingSets: z.array(z.record(z.string(), z.unknown())).default([]),
  /** File jobs (pickups and drops) on this practice's file locations. */
  fileJobs: z.array(fileJobEntry).default([]),
})

export const configDocumentSchema = z
  .object({
    format: z.literal(CONFIG_FORMAT),
    version: z.literal(CONFIG_VERSION),
    practices: z.array(configPracticeSchema),
    /** The installation's settings (audit export, backups, pruner window); absent = left as they are. */
    system: systemSettingsSchema.optional(),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>()
    doc.practices.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['practices', i, 'id'], message: `duplicate practice id "${p.id}"` })
      seen.add(p.id)
      const names = new Set<string>()
      for (const [field, list] of [['connections', p.connections], ['interfaces', p.interfaces]] as const) {
        list.forEach((c, j) => {
          const isInterface = c.kind === 'hl7-inbound' || c.kind === 'hl7-outbound'
          if (isInterface !== (field === 'interfaces')) {
            ctx.addIssue({ code: 'custom', path: ['practices', i, field, j, 'kind'], message: field === 'interfaces' ? 'interfaces are hl7-inbound or hl7-outbound' : 'HL7 interfaces belong under "interfaces"' })
          }
          if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['practices', i, field, j, 'name'], message: `duplicate name "${c.name}" in practice "${p.id}"` })
          names.add(c.name)
        })
      }
      const locations = new Set(p.connections.filter((c) => (FILE_LOCATION_KINDS as readonly string[]).includes(c.kind)).map((c) => c.name))
      const jobs = new Set<string>()
      p.fileJobs.forEach((j, k) => {
        if (!locations.has(j.location)) ctx.addIssue({ code: 'custom', path: ['practices', i, 'fileJobs', k, 'location'], message: `"${j.location}" is not an sftp, ftps or folder connection of practice "${p.id}" in this document` })
        if (jobs.has(j.name)) ctx.addIssue({ code: 'custom', path: ['practices', i, 'fileJobs', k, 'name'], message: `duplicate file job "${j.name}" in practice "${p.id}"` })
        jobs.add(j.name)
      })
    })
  })

export type ConfigDocument = z.infer<typeof configDocumentSchema>
export type ConfigPractice = z.infer<typeof configPracticeSchema>
