import { Button, Group, MultiSelect, Select, TextInput } from '@mantine/core'
import { useDebouncedCallback } from '@mantine/hooks'
import { IconSearch, IconX } from '@tabler/icons-react'
import { useState } from 'react'
import { TX_STATUSES, type TxStatus } from '../../../../shared/api/transactions'
import { useApi } from '../../api/client'
import { fromLocalInput, TIME_PRESETS, toLocalInput, type TimeRange } from '../../components/console/time-presets'
import { EMPTY_FILTER, type LogFilter } from './log-filter'

const SEP = '\u001f'

/** Filters of the transaction log; the search box takes a business key or free text. */
export function FilterBar({ practiceId, value, onChange }: { practiceId: string; value: LogFilter; onChange(f: LogFilter): void }) {
  const lanes = useApi('dashboard.lanes', { practiceId })
  const [q, setQ] = useState(value.q)
  const [type, setType] = useState(value.messageType)
  const pushQ = useDebouncedCallback((v: string) => onChange({ ...value, q: v }), 350)
  const pushType = useDebouncedCallback((v: string) => onChange({ ...value, messageType: v }), 350)
  const [seen, setSeen] = useState(value)
  if (seen !== value) {
    // A saved search or reset replaced the filter: show its text.
    setSeen(value)
    setQ(value.q)
    setType(value.messageType)
  }

  const connectors = [...new Set((lanes.data ?? []).map((l) => l.connector))]
  const laneOptions = [
    ...connectors.map((c) => ({ value: `${c}${SEP}`, label: `${c} (all)` })),
    ...(lanes.data ?? []).map((l) => ({ value: `${l.connector}${SEP}${l.channel}`, label: `${l.connector} / ${l.channel}` })),
  ]
  const laneValue = value.connector ? `${value.connector}${SEP}${value.channel ?? ''}` : null
  const setRange = (range: TimeRange) => onChange({ ...value, range })

  return (
    <Group align="flex-end" gap="xs" wrap="wrap">
      <TextInput
        label="Search"
        placeholder="MRN, patient / appointment id, control id or text"
        leftSection={<IconSearch size={16} />}
        w={320}
        value={q}
        onChange={(e) => {
          setQ(e.currentTarget.value)
          pushQ(e.currentTarget.value)
        }}
        onKeyDown={(e) => e.key === 'Enter' && onChange({ ...value, q })}
      />
      <MultiSelect label="Status" placeholder="any" w={220} data={[...TX_STATUSES]} value={value.statuses} onChange={(v) => onChange({ ...value, statuses: v as TxStatus[] })} clearable />
      <Select
        label="Connector / interface"
        placeholder="any"
        w={220}
        data={laneOptions}
        value={laneValue}
        onChange={(v) => {
          if (!v) return onChange({ ...value, connector: null, channel: null })
          const [connector, channel] = v.split(SEP)
          onChange({ ...value, connector: connector || null, channel: channel || null })
        }}
        clearable
        searchable
      />
      <Select
        label="Direction"
        placeholder="both"
        w={110}
        data={[
          { value: 'in', label: 'inbound' },
          { value: 'out', label: 'outbound' },
        ]}
        value={value.direction}
        onChange={(v) => onChange({ ...value, direction: (v as LogFilter['direction']) ?? null })}
        clearable
      />
      <TextInput
        label="Message type"
        placeholder="ADT^A08, SIU, patient…"
        w={150}
        value={type}
        onChange={(e) => {
          setType(e.currentTarget.value)
          pushType(e.currentTarget.value)
        }}
      />
      <Select
        label="Time"
        w={170}
        data={[{ value: 'all', label: 'Any time' }, ...TIME_PRESETS.map((p) => ({ value: p.value, label: p.label })), { value: 'custom', label: 'Custom range…' }]}
        value={value.range.preset}
        onChange={(v) => v && setRange(v === 'custom' ? { preset: 'custom', from: Date.now() - 86_400_000, to: Date.now() } : { preset: v as TimeRange['preset'] })}
        allowDeselect={false}
      />
      {value.range.preset === 'custom' ? (
        <>
          <TextInput type="datetime-local" label="From" value={toLocalInput(value.range.from)} onChange={(e) => setRange({ ...value.range, from: fromLocalInput(e.currentTarget.value) })} />
          <TextInput type="datetime-local" label="To" value={toLocalInput(value.range.to)} onChange={(e) => setRange({ ...value.range, to: fromLocalInput(e.currentTarget.value) })} />
        </>
      ) : null}
      <Button variant="subtle" leftSection={<IconX size={14} />} onClick={() => onChange(EMPTY_FILTER)}>
        Clear
      </Button>
    </Group>
  )
}
