import { Badge, Button, Checkbox, Code, Group, SegmentedControl, Select, Switch, Table, Text, TextInput } from '@mantine/core'
import { IconSearch } from '@tabler/icons-react'
import { useState } from 'react'
import type { LogEntry } from '../../../../shared/api/logs'
import { api, type ApiError, useApi } from '../../api/client'
import { usePractice } from '../../app/practice-context'
import { useTimeFormat } from '../../app/time-format'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'

type Level = LogEntry['level']
const LEVEL_COLOR: Record<Level, string> = { debug: 'gray', info: 'blue', warn: 'orange', error: 'red' }


function Fields({ fields }: { fields: Record<string, unknown> }) {
  const keys = Object.keys(fields)
  if (keys.length === 0) return null
  return (
    <Group gap={4}>
      {keys.map((k) => (
        <Code key={k} fz="xs">
          {k}={typeof fields[k] === 'string' ? (fields[k] as string) : JSON.stringify(fields[k])}
        </Code>
      ))}
    </Group>
  )
}

/**
 * The engine's own log, newest first: listeners and peers, deliveries, retries, start-up and
 * failures, as structured records (never payloads or PHI, by the logger's rule). For "did the lab
 * connect last night?" without opening a file on the workstation.
 */
export function EngineLogPage() {
  const { practiceId } = usePractice()
  const fmt = useTimeFormat()
  const [level, setLevel] = useState<Level>('info')
  const [component, setComponent] = useState<string | null>(null)
  const [thisPractice, setThisPractice] = useState(false)
  const [text, setText] = useState('')
  const [live, setLive] = useState(true)
  const [older, setOlder] = useState<{ key: string; entries: LogEntry[]; next: string | null } | null>(null)
  const [olderError, setOlderError] = useState<ApiError | null>(null)
  const query = {
    level,
    limit: 200,
    ...(component ? { component } : {}),
    ...(thisPractice && practiceId ? { practiceId } : {}),
    ...(text.trim() ? { q: text.trim() } : {}),
  }
  const key = JSON.stringify(query)
  const first = useApi('logs.tail', query, { refetchInterval: live ? 2000 : false })
  const more = older?.key === key ? older : null
  const next = more ? more.next : (first.data?.next ?? null)
  const rows = [...(first.data?.entries ?? []), ...(more?.entries ?? [])]
  const loadOlder = async () => {
    if (!next) return
    try {
      const r = await api('logs.tail', { ...query, before: next })
      setOlder({ key, entries: [...(more?.entries ?? []), ...r.entries], next: r.next })
      setOlderError(null)
    } catch (e) {
      setOlderError(e as ApiError)
    }
  }
  return (
    <>
      <PageHeader title="Engine log" description="What the engine did, newest first: listeners and peers, deliveries and retries, start-up and failures. Records carry ids, peers and codes, never message content." />
      <Group mb="sm" align="flex-end" wrap="wrap">
        <SegmentedControl value={level} onChange={(v) => setLevel(v as Level)} data={['debug', 'info', 'warn', 'error'].map((l) => ({ value: l, label: l === 'debug' ? 'all' : `${l}+` }))} aria-label="Lowest level" />
        <Select placeholder="Any component" data={first.data?.components ?? []} value={component} onChange={setComponent} clearable searchable w={220} aria-label="Component" />
        <TextInput placeholder="Text, peer, control id…" leftSection={<IconSearch size={14} />} value={text} onChange={(e) => setText(e.currentTarget.value)} w={260} aria-label="Search the log" />
        <Checkbox label="This practice only" checked={thisPractice} onChange={(e) => setThisPractice(e.currentTarget.checked)} disabled={!practiceId} />
        <Switch label="Live" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
      </Group>
      <ErrorAlert error={first.error ?? olderError} />
      {first.data && rows.length === 0 ? (
        <Text c="dimmed" size="sm" data-testid="log-empty">
          {next ? 'Nothing matches in the newest part of the log; older entries may.' : 'Nothing in the log matches.'}
        </Text>
      ) : null}
      {rows.length ? (
        <Table fz="xs" striped data-testid="engine-log">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={190}>Time</Table.Th>
              <Table.Th w={70}>Level</Table.Th>
              <Table.Th w={150}>Component</Table.Th>
              <Table.Th>Message</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((e, i) => (
              <Table.Tr key={`${e.ts}-${i}`} data-testid="log-row">
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{Number.isNaN(Date.parse(e.ts)) ? e.ts : fmt.precise(Date.parse(e.ts))}</Table.Td>
                <Table.Td>
                  <Badge size="xs" variant="light" color={LEVEL_COLOR[e.level]}>
                    {e.level}
                  </Badge>
                </Table.Td>
                <Table.Td>{e.component ?? '—'}</Table.Td>
                <Table.Td>
                  <Text size="xs" fw={500}>
                    {e.msg}
                  </Text>
                  <Fields fields={e.fields} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {next ? (
        <Group justify="center" mt="sm">
          <Button variant="light" size="xs" onClick={() => void loadOlder()}>
            Older entries
          </Button>
        </Group>
      ) : null}
    </>
  )
}
