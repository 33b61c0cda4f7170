import { Badge, Button, Code, Group, NumberInput, Select, Switch, Table, Text, Tooltip } from '@mantine/core'
import { IconDownload, IconRefresh } from '@tabler/icons-react'
import { useMemo, useState } from 'react'
import type { ApiLogEntry } from '../../../../shared/api/athena'
import { api, useApi } from '../../api/client'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { UsagePanel } from './UsagePanel'

const RANGES: Record<string, number | null> = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, all: null }
const RANGE_LABEL: Record<string, string> = { '15m': 'Last 15 minutes', '1h': 'Last hour', '24h': 'Last 24 hours', '7d': 'Last 7 days', all: 'Everything kept' }

function statusColor(e: ApiLogEntry): string {
  if (e.outcome === 'ok') return 'teal'
  if (e.outcome === 'throttled') return 'yellow'
  if (e.outcome === 'rejected') return 'orange'
  return 'red'
}

/** Every athenaNet call (PHI parameters redacted): filter by practice, endpoint, time and status; usage against the quota; CSV export. */
export function ApiLogsPage() {
  const { practiceId, practices } = usePractice()
  const [scope, setScope] = useState<string>('current')
  const [endpoint, setEndpoint] = useState<string | null>(null)
  const [range, setRange] = useState('24h')
  const [outcome, setOutcome] = useState<string>('any')
  const [status, setStatus] = useState<number | undefined>(undefined)
  const [developer, setDeveloper] = useState(false)
  const [live, setLive] = useState(true)
  const [older, setOlder] = useState<ApiLogEntry[]>([])
  const [olderCursor, setOlderCursor] = useState<number | null | undefined>(undefined)
  const [exporting, setExporting] = useState(false)
  const [exportError, setExportError] = useState<Error | null>(null)
  const selectedPractice = scope === 'current' ? (practiceId ?? undefined) : scope === 'all' ? undefined : scope
  // The window moves with each refresh; rounded so the query key stays stable between polls.
  const [now, setNow] = useState(() => Date.now())
  const from = RANGES[range] === null ? undefined : Math.floor((now - RANGES[range]!) / 1000) * 1000
  const filter = useMemo(
    () => ({ practiceId: selectedPractice, endpoint: endpoint ?? undefined, from, outcome: outcome === 'any' ? undefined : (outcome as 'ok' | 'error' | 'throttled'), status }),
    [selectedPractice, endpoint, from, outcome, status],
  )
  const log = useApi('athena.apiLog.list', { ...filter, limit: 200, developer }, { refetchInterval: live ? 3000 : false })
  const endpoints = useApi('athena.apiLog.endpoints', { practiceId: selectedPractice }, { refetchInterval: live ? 10_000 : false })
  const rows = [...(log.data?.items ?? []), ...older.filter((o) => !(log.data?.items ?? []).some((x) => x.id === o.id))]
  const cursor = olderCursor === undefined ? (log.data?.nextBeforeId ?? null) : olderCursor

  const resetPaging = () => {
    setOlder([])
    setOlderCursor(undefined)
  }
  const loadMore = async () => {
    if (!cursor) return
    const r = await api('athena.apiLog.list', { ...filter, beforeId: cursor, limit: 200, developer })
    setOlder((o) => [...o, ...r.items])
    setOlderCursor(r.nextBeforeId)
  }
  const exportCsv = async () => {
    setExporting(true)
    setExportError(null)
    try {
      const r = await api('athena.apiLog.export', filter)
      const url = URL.createObjectURL(new Blob([r.csv], { type: 'text/csv' }))
      const a = document.createElement('a')
      a.href = url
      a.download = r.filename
      a.click()
      URL.revokeObjectURL(url)
    } catch (e) {
      setExportError(e as Error)
    } finally {
      setExporting(false)
    }
  }

  return (
    <>
      <PageHeader
        title="API logs"
        description="Every athenaNet call with its status, latency and attempt. Names, dates of birth, phones, e-mail, SSN, zip and addresses are redacted from the logged paths."
        actions={
          <>
            <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={() => (setNow(Date.now()), resetPaging(), void log.refetch())}>
              Refresh
            </Button>
            <Button leftSection={<IconDownload size={16} />} loading={exporting} onClick={() => void exportCsv()}>
              Export CSV
            </Button>
          </>
        }
      />
      {practiceId && scope !== 'all' ? <UsagePanel practiceId={selectedPractice ?? practiceId} /> : null}
      <Group mb="sm" align="flex-end" gap="sm">
        <Select
          label="Practice"
          w={220}
          value={scope}
          allowDeselect={false}
          data={[{ value: 'current', label: 'Selected practice' }, { value: 'all', label: 'All practices' }, ...practices.map((p) => ({ value: p.id, label: p.name }))]}
          onChange={(v) => (v && setScope(v), resetPaging())}
        />
        <Select label="Endpoint" w={360} placeholder="Every endpoint" clearable searchable value={endpoint} data={endpoints.data ?? []} onChange={(v) => (setEndpoint(v), resetPaging())} data-testid="endpoint-filter" />
        <Select label="Time" w={170} value={range} allowDeselect={false} data={Object.keys(RANGES).map((k) => ({ value: k, label: RANGE_LABEL[k]! }))} onChange={(v) => (v && (setRange(v), setNow(Date.now())), resetPaging())} />
        <Select
          label="Outcome"
          w={150}
          value={outcome}
          allowDeselect={false}
          data={[
            { value: 'any', label: 'Any' },
            { value: 'ok', label: 'Succeeded' },
            { value: 'error', label: 'Failed' },
            { value: 'throttled', label: 'Throttled' },
          ]}
          onChange={(v) => (v && setOutcome(v), resetPaging())}
        />
        <NumberInput label="HTTP status" w={120} min={100} max={599} value={status ?? ''} onChange={(v) => (setStatus(typeof v === 'number' ? v : undefined), resetPaging())} />
        <Switch label="Live" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
        <Tooltip label="Shows athena's detailed messages for developers (recorded in the audit trail)">
          <Switch label="Developer detail" checked={developer} onChange={(e) => setDeveloper(e.currentTarget.checked)} />
        </Tooltip>
      </Group>
      <ErrorAlert error={log.error ?? exportError} />
      <Table striped highlightOnHover fz="sm" data-testid="api-log-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            {scope === 'all' ? <Table.Th>Practice</Table.Th> : null}
            <Table.Th>Method</Table.Th>
            <Table.Th>Endpoint</Table.Th>
            <Table.Th>Path sent</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th ta="right">Latency</Table.Th>
            <Table.Th ta="right">Attempt</Table.Th>
            <Table.Th>Request id</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((e) => (
            <Table.Tr key={e.id} data-testid="api-log-row">
              <Table.Td style={{ whiteSpace: 'nowrap' }}><Time value={e.at} /></Table.Td>
              {scope === 'all' ? <Table.Td>{e.practiceId}</Table.Td> : null}
              <Table.Td>{e.method}</Table.Td>
              <Table.Td>
                <Code>{e.endpoint}</Code>
              </Table.Td>
              <Table.Td maw={360}>
                <Text size="xs" ff="monospace" truncate="end" title={e.path}>
                  {e.path}
                </Text>
                {e.errorMessage ? (
                  <Text size="xs" c="red">
                    {e.errorMessage}
                    {e.errorCode ? ` (${e.errorCode})` : ''}
                  </Text>
                ) : null}
                {developer && e.developerDetail ? (
                  <Text size="xs" c="dimmed">
                    {e.developerDetail}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Badge color={statusColor(e)} variant="light">
                  {e.status ?? e.outcome}
                </Badge>
              </Table.Td>
              <Table.Td ta="right">{e.latencyMs.toFixed(0)} ms</Table.Td>
              <Table.Td ta="right">{e.attempt}</Table.Td>
              <Table.Td>
                <Text size="xs" ff="monospace">
                  {e.requestId}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {log.data && rows.length === 0 ? (
        <Text c="dimmed" size="sm" mt="sm" data-testid="api-log-empty">
          No calls match these filters.
        </Text>
      ) : null}
      {cursor ? (
        <Group justify="center" mt="sm">
          <Button variant="default" onClick={() => void loadMore()}>
            Load older calls
          </Button>
        </Group>
      ) : null}
    </>
  )
}
