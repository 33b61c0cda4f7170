import { Badge, Box, Button, Code, Group, NumberInput, Select, Switch, Table, Text, Tooltip } from '@mantine/core'
import { IconDownload, IconRefresh } from '@tabler/icons-react'
import { useMemo, useState } from 'react'
import type { ApiLogEntry } from '../../../../shared/api/athena'
import { api, useApi } from '../../api/client'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { UsagePanel } from './UsagePanel'
import { ApiCallDrawer } from './ApiCallDrawer'
import { useMayCall } from '../../app/auth'

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
  const [opened, setOpened] = useState<{ practiceId: string; id: number } | null>(null)
  const selectedPractice = scope === 'current' ? (practiceId ?? undefined) : scope === 'all' ? undefined : scope
  // The window moves with each refresh; rounded so the query key stays stable between polls.
  const [now, setNow] = useState(() => Date.now())
  const from = RANGES[range] === null ? undefined : Math.floor((now - RANGES[range]!) / 1000) * 1000
  const filter = useMemo(
    () => ({ practiceId: selectedPractice, endpoint: endpoint ?? undefined, from, outcome: outcome === 'any' ? undefined : (outcome as 'ok' | 'error' | 'throttled'), status }),
    [selectedPractice, endpoint, from, outcome, status],
  )
  // Headers and bodies hold (redacted) patient data: opening a call needs the PHI view permission.
  const mayOpen = useMayCall('athena.apiLog.get', selectedPractice ?? practiceId)
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
      {/* Fixed layout: the call column takes what is left and truncates, so the table fits a 1440 px screen; the full call opens in the drawer. */}
      <Box style={{ overflowX: 'auto' }} data-testid="api-log-container">
        <Table striped highlightOnHover fz="sm" layout="fixed" data-testid="api-log-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={200}>Time</Table.Th>
              {scope === 'all' ? <Table.Th w={120}>Practice</Table.Th> : null}
              <Table.Th>Call (path sent)</Table.Th>
              <Table.Th w={90}>Status</Table.Th>
              <Table.Th w={90} ta="right">
                Latency
              </Table.Th>
              <Table.Th w={70} ta="right">
                Attempt
              </Table.Th>
              <Table.Th w={120}>Request id</Table.Th>
              {mayOpen ? <Table.Th w={90}>Detail</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((e) => (
              <Table.Tr
                key={e.id}
                data-testid="api-log-row"
                onClick={mayOpen ? () => setOpened({ practiceId: e.practiceId, id: e.id }) : undefined}
                style={mayOpen ? { cursor: 'pointer' } : undefined}
                bg={opened?.id === e.id ? 'var(--mantine-color-default-hover)' : undefined}
              >
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Time value={e.at} />
                </Table.Td>
                {scope === 'all' ? (
                  <Table.Td>
                    <Text size="sm" truncate="end">
                      {e.practiceId}
                    </Text>
                  </Table.Td>
                ) : null}
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <Text size="xs" fw={700} style={{ flexShrink: 0 }}>
                      {e.method}
                    </Text>
                    <Code style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{e.endpoint}</Code>
                  </Group>
                  <Text size="xs" ff="monospace" truncate="end" title={e.path}>
                    {e.path}
                  </Text>
                  {e.errorMessage ? (
                    <Text size="xs" c="red" style={{ overflowWrap: 'anywhere' }}>
                      {e.errorMessage}
                      {e.errorCode ? ` (${e.errorCode})` : ''}
                    </Text>
                  ) : null}
                  {developer && e.developerDetail ? (
                    <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
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
                  <Text size="xs" ff="monospace" truncate="end" title={e.requestId}>
                    {e.requestId}
                  </Text>
                </Table.Td>
                {mayOpen ? (
                  <Table.Td>
                    <Button
                      size="compact-xs"
                      variant="light"
                      aria-haspopup="dialog"
                      aria-label={`Open call ${e.method} ${e.endpoint} at attempt ${e.attempt}, request ${e.requestId}`}
                      data-testid="open-api-call"
                      onClick={(ev) => {
                        ev.stopPropagation()
                        setOpened({ practiceId: e.practiceId, id: e.id })
                      }}
                    >
                      Open
                    </Button>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Box>
      <ApiCallDrawer call={opened} onClose={() => setOpened(null)} />
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
