import { Group, NumberInput, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import type { FileJobDto } from '../../../../shared/api/files'
import type { Connection } from '../../../../shared/api/connections'
import { ConnectionFormFooter, configErrors } from './ConnectionFormParts'
import type { ApiError } from '../../api/client'

export interface FileKindDto {
  kind: string
  direction: 'inbound' | 'outbound'
  label: string
  defaultMappingKey: string | null
}

export interface FileJobFormValues {
  name: string
  enabled: boolean
  config: Record<string, unknown>
}

/** What each kind needs beyond the common fields: its usual file names, whether it has a row format, and its own settings. */
const KIND_DEFAULTS: Record<string, { include?: string; naming?: string; format?: boolean; exportRange?: boolean }> = {
  demographics: { include: '*.csv', format: true },
  appointments: { include: '*.csv', format: true },
  deposits: { include: '*.csv', format: true },
  'remittance-835': { include: '*.835, *.txt' },
  'claims-837p': { naming: '{practice}-claims-{date:yyyyMMdd}-{seq}.837' },
  'appointments-export': { naming: '{practice}-appointments-{date:yyyyMMdd}-{seq}.csv', format: true, exportRange: true },
}

const key = (k: { direction: string; kind: string }) => `${k.direction}:${k.kind}`
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean)

/**
 * A file job as a form: the kind picker offers every registered kind (inbound pickups and outbound
 * drops), and the form shows the fields that kind uses: include patterns and a row format for
 * pickups, a naming convention for drops, the export range for the appointment export.
 */
export function FileJobForm({ initial, kinds, locations, onSubmit, onCancel, error, busy }: { initial?: FileJobDto; kinds: FileKindDto[]; locations: Connection[]; onSubmit(v: FileJobFormValues): void; onCancel(): void; error: ApiError | null; busy: boolean }) {
  const c = initial?.config
  const [name, setName] = useState(initial?.name ?? '')
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [kindKey, setKindKey] = useState<string | null>(c ? key(c) : null)
  const [connectionId, setConnectionId] = useState<string | null>(c?.connectionId ?? (locations.length === 1 ? locations[0]!.id : null))
  const [folder, setFolder] = useState(c?.folder ?? '')
  const [include, setInclude] = useState(c ? c.include.join(', ') : '')
  const [naming, setNaming] = useState(c?.naming ?? '')
  const [formatType, setFormatType] = useState<string>(c?.format.type ?? 'csv')
  const [schedule, setSchedule] = useState(c?.schedule ?? '')
  const [offStart, setOffStart] = useState(c?.offPeak?.start ?? '')
  const [offEnd, setOffEnd] = useState(c?.offPeak?.end ?? '')
  const [minAge, setMinAge] = useState<number>(c?.minAgeSeconds ?? 30)
  const [fromDays, setFromDays] = useState<number>(c?.exportRange.fromDays ?? 0)
  const [days, setDays] = useState<number>(c?.exportRange.days ?? 14)
  const kind = kinds.find((k) => key(k) === kindKey)
  const extra = (kind && KIND_DEFAULTS[kind.kind]) ?? {}
  const { fe, err, unplaced } = configErrors(error, ['connectionId', 'kind', 'direction', 'folder', 'include', 'naming', 'format.type', 'schedule', 'offPeak', 'minAgeSeconds', 'exportRange.fromDays', 'exportRange.days'])

  const pickKind = (v: string | null) => {
    setKindKey(v)
    const k = kinds.find((x) => key(x) === v)
    const d = (k && KIND_DEFAULTS[k.kind]) ?? {}
    // A new job starts from the kind's usual names; an edited one keeps what it has.
    if (!initial && k) {
      if (k.direction === 'inbound') setInclude(d.include ?? '*.csv')
      else setNaming(d.naming ?? `{practice}-${k.kind}-{date:yyyyMMdd}-{seq}.csv`)
      if (!name) setName(k.kind)
    }
  }

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!kind) return
    const config: Record<string, unknown> = {
      ...(c ?? {}),
      connectionId: connectionId ?? '',
      direction: kind.direction,
      kind: kind.kind,
      folder,
      schedule: schedule.trim() || null,
      offPeak: offStart || offEnd ? { start: offStart, end: offEnd } : null,
    }
    if (kind.direction === 'inbound') Object.assign(config, { include: list(include), minAgeSeconds: minAge })
    else config.naming = naming
    if (extra.format) config.format = { ...(c?.format ?? {}), type: formatType }
    if (extra.exportRange) config.exportRange = { fromDays, days }
    onSubmit({ name, enabled, config })
  }

  return (
    <form onSubmit={submit}>
      <Stack>
        <Group grow align="flex-start">
          <Select
            label="Kind"
            required
            placeholder="What the files hold"
            data={[
              { group: 'Pick up (inbound)', items: kinds.filter((k) => k.direction === 'inbound').map((k) => ({ value: key(k), label: k.label })) },
              { group: 'Drop (outbound)', items: kinds.filter((k) => k.direction === 'outbound').map((k) => ({ value: key(k), label: k.label })) },
            ]}
            value={kindKey}
            error={err('kind')}
            onChange={pickKind}
            disabled={Boolean(initial)}
          />
          <Select label="Location" required data={locations.map((l) => ({ value: l.id, label: `${l.name} (${l.kind})` }))} value={connectionId} error={err('connectionId')} onChange={setConnectionId} />
        </Group>
        <Group grow align="flex-start">
          <TextInput label="Name" required value={name} error={fe.name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput label="Folder" description="On the location; processing/, processed/ and error/ live inside it" value={folder} error={err('folder')} onChange={(e) => setFolder(e.currentTarget.value)} />
        </Group>
        {kind ? (
          <>
            {kind.direction === 'inbound' ? (
              <Group grow align="flex-start">
                <TextInput label="File names to take" description="Patterns with * and ?, comma-separated" value={include} error={err('include')} onChange={(e) => setInclude(e.currentTarget.value)} />
                <NumberInput label="Minimum file age (s)" min={0} max={86_400} value={minAge} error={err('minAgeSeconds')} onChange={(n) => setMinAge(Number(n) || 0)} />
              </Group>
            ) : (
              <TextInput label="File name" description="Tokens: {practice} {job} {kind} {date:yyyyMMdd} {time:HHmmss} {seq}" value={naming} error={err('naming')} onChange={(e) => setNaming(e.currentTarget.value)} />
            )}
            {extra.format ? (
              <Select label="Format" data={['csv', 'json', 'ndjson']} value={formatType} error={err('format.type')} onChange={(v) => setFormatType(v ?? 'csv')} allowDeselect={false} />
            ) : null}
            {extra.exportRange ? (
              <SimpleGrid cols={2}>
                <NumberInput label="Export starts (days from today)" description="0 = today, -1 = yesterday" min={-366} max={366} value={fromDays} error={err('exportRange.fromDays')} onChange={(n) => setFromDays(Number(n) || 0)} />
                <NumberInput label="Days exported" min={1} max={366} value={days} error={err('exportRange.days')} onChange={(n) => setDays(Number(n) || 1)} />
              </SimpleGrid>
            ) : null}
            {kind.defaultMappingKey ? (
              <Text size="xs" c="dimmed">
                Mapping set: {c?.mappingKey ?? kind.defaultMappingKey} (edit it in the mapping studio).
              </Text>
            ) : null}
          </>
        ) : null}
        <SimpleGrid cols={3}>
          <TextInput label="Schedule (cron, practice time zone)" placeholder="empty: run now only" value={schedule} error={err('schedule')} onChange={(e) => setSchedule(e.currentTarget.value)} />
          <TextInput label="Off-peak from (HH:MM)" value={offStart} error={err('offPeak')} onChange={(e) => setOffStart(e.currentTarget.value)} />
          <TextInput label="Off-peak until (HH:MM)" value={offEnd} onChange={(e) => setOffEnd(e.currentTarget.value)} />
        </SimpleGrid>
        <ConnectionFormFooter enabled={enabled} onEnabled={setEnabled} error={error} fieldErrors={fe} unplaced={unplaced} isNew={!initial} busy={busy} onCancel={onCancel} createLabel="Create job" />
      </Stack>
    </form>
  )
}
