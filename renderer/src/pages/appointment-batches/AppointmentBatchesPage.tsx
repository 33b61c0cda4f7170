import { Alert, Badge, Button, Group, SegmentedControl, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core'
import { useState } from 'react'
import type { BatchRun } from '../../../../shared/appointment-batch'
import { api, useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { downloadText, readFileText } from '../../components/download'
import { Time, useTimeFormat } from '../../app/time-format'
import { ConflictCard } from './ConflictCard'

const OUTCOME_COLOR: Record<string, string> = { created: 'teal', applied: 'teal', rescheduled: 'blue', unchanged: 'gray', conflict: 'orange', double_booking: 'yellow', held: 'grape', rejected: 'red' }

function RunReport({ practiceId, run }: { practiceId: string; run: BatchRun }) {
  const rows = useApi('appointments.runRows', { practiceId, runId: run.id })
  const mayDownload = useMayCall('appointments.runReportCsv', practiceId)
  return (
    <Stack gap="xs" data-testid="run-report">
      <Group gap="xs">
        {Object.entries(run.counts).map(([k, n]) => (
          <Badge key={k} color={OUTCOME_COLOR[k] ?? 'gray'}>
            {n} {k.replace('_', ' ')}
          </Badge>
        ))}
        {mayDownload ? (
        <Button
          size="compact-xs"
          variant="light"
          onClick={() => void api('appointments.runReportCsv', { practiceId, runId: run.id }).then((f) => downloadText(f.fileName, f.content))}
        >
          Download report
        </Button>
        ) : null}
      </Group>
      {run.error ? <Alert color="red">{run.error}</Alert> : null}
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Line</Table.Th>
            <Table.Th>Appointment</Table.Th>
            <Table.Th>Outcome</Table.Th>
            <Table.Th>Rule</Table.Th>
            <Table.Th>What happened</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(rows.data ?? []).map((r) => (
            <Table.Tr key={r.line}>
              <Table.Td>{r.line}</Table.Td>
              <Table.Td>{r.appointmentId ?? '—'}</Table.Td>
              <Table.Td>
                <Badge color={OUTCOME_COLOR[r.outcome] ?? 'gray'}>{r.outcome.replace('_', ' ')}</Badge>
              </Table.Td>
              <Table.Td>{r.rule ?? ''}</Table.Td>
              <Table.Td>{r.message}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  )
}

function RunsTab({ practiceId }: { practiceId: string }) {
  const runs = useApi('appointments.runs', { practiceId })
  const imp = useApiMutation('appointments.importFile', ['appointments.runs', 'appointments.conflicts', 'appointments.held'])
  const mayImport = useMayCall('appointments.importFile', practiceId)
  const mayExport = useMayCall('appointments.export', practiceId)
  const [open, setOpen] = useState<number | null>(null)
  const { day } = useTimeFormat()
  const [from, setFrom] = useState(() => day(Date.now()))
  const [to, setTo] = useState(() => day(Date.now()))
  const [format, setFormat] = useState<'csv' | 'json'>('csv')
  const [exportError, setExportError] = useState<Error | null>(null)
  const pick = async (file: File | undefined) => {
    if (!file) return
    const r = await imp.mutateAsync({ practiceId, fileName: file.name, content: await readFileText(file) })
    if (r.run) setOpen(r.run.id)
  }
  const exportFile = async () => {
    setExportError(null)
    try {
      const f = await api('appointments.export', { practiceId, from, to, format })
      downloadText(f.fileName, f.content, format === 'csv' ? 'text/csv' : 'application/json')
    } catch (e) {
      setExportError(e as Error)
    }
  }
  return (
    <Stack>
      <Group align="flex-end">
        {mayImport ? (
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Import a schedule file (CSV or JSON)
          </Text>
          <input type="file" accept=".csv,.json,.ndjson" data-testid="schedule-file" onChange={(e) => void pick(e.currentTarget.files?.[0]).catch(() => undefined)} />
        </Stack>
        ) : null}
        {mayExport ? (
        <>
        <TextInput label="Export from" value={from} onChange={(e) => setFrom(e.currentTarget.value)} w={130} />
        <TextInput label="to" value={to} onChange={(e) => setTo(e.currentTarget.value)} w={130} />
        <SegmentedControl value={format} onChange={(v) => setFormat(v as 'csv' | 'json')} data={['csv', 'json']} />
        <Button variant="light" onClick={() => void exportFile()}>
          Export
        </Button>
        </>
        ) : null}
      </Group>
      {imp.error ? <ErrorAlert error={imp.error} /> : null}
      {exportError ? <ErrorAlert error={exportError} /> : null}
      <Table data-testid="batch-runs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>File</Table.Th>
            <Table.Th>Direction</Table.Th>
            <Table.Th>Started</Table.Th>
            <Table.Th>Rows</Table.Th>
            <Table.Th>Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(runs.data ?? []).map((r) => (
            <Table.Tr key={r.id} onClick={() => setOpen(open === r.id ? null : r.id)} style={{ cursor: 'pointer' }}>
              <Table.Td>{r.fileName}</Table.Td>
              <Table.Td>{r.direction}</Table.Td>
              <Table.Td><Time value={r.startedAt} /></Table.Td>
              <Table.Td>
                {r.rowsDone} / {r.totalRows}
              </Table.Td>
              <Table.Td>
                <Badge color={r.status === 'done' ? 'teal' : r.status === 'failed' ? 'red' : 'blue'}>{r.status}</Badge>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {open && runs.data?.find((r) => r.id === open) ? <RunReport practiceId={practiceId} run={runs.data.find((r) => r.id === open) as BatchRun} /> : null}
    </Stack>
  )
}

function ConflictsTab({ practiceId }: { practiceId: string }) {
  const conflicts = useApi('appointments.conflicts', { practiceId, status: 'open' })
  const held = useApi('appointments.held', { practiceId })
  const retry = useApiMutation('appointments.retryHeld', ['appointments.held', 'appointments.runs', 'appointments.conflicts'])
  const mayRetry = useMayCall('appointments.retryHeld', practiceId)
  return (
    <Stack>
      {conflicts.error ? <ErrorAlert error={conflicts.error} /> : null}
      {(conflicts.data ?? []).length === 0 ? (
        <Text c="dimmed" data-testid="no-conflicts">
          No conflict waits for review.
        </Text>
      ) : (
        (conflicts.data ?? []).map((c) => <ConflictCard key={c.id} practiceId={practiceId} conflict={c} />)
      )}
      <Title order={4}>Held rows (unknown patient, provider or department)</Title>
      {(held.data ?? []).length === 0 ? (
        <Text c="dimmed" size="sm">
          Nothing is held.
        </Text>
      ) : (
        <>
          <Table data-testid="held-rows">
            <Table.Tbody>
              {(held.data ?? []).map((h) => (
                <Table.Tr key={h.id}>
                  <Table.Td>{h.appointmentId ?? '—'}</Table.Td>
                  <Table.Td>line {h.line}</Table.Td>
                  <Table.Td>{h.reasons.join('; ')}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {mayRetry ? (
            <Group>
              <Button variant="light" onClick={() => retry.mutate({ practiceId })} loading={retry.isPending}>
                Try held rows again
              </Button>
            </Group>
          ) : null}
        </>
      )}
    </Stack>
  )
}

function RulesTab({ practiceId }: { practiceId: string }) {
  const s = useApi('appointments.batchSettings', { practiceId })
  if (s.error) return <ErrorAlert error={s.error} />
  if (!s.data) return null
  const d = s.data
  const owner = { file: "the file's system", studio: 'Practice Studio', review: 'nobody: review' }
  return (
    <Stack data-testid="batch-rules">
      <Text size="sm">
        Appointments are matched by their id in <b>{d.settings.idSystem}</b> (a reschedule carries the id it replaced), never by time slot. Times are stored in UTC with the department&apos;s time zone
        from athena&apos;s department list.
      </Text>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Field</Table.Th>
            <Table.Th>When changed on both sides, who wins</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {d.owners.map((o) => (
            <Table.Tr key={o.field}>
              <Table.Td>{o.field}</Table.Td>
              <Table.Td>{owner[o.owner]}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Title order={5}>Rules</Title>
      {d.rules.map((r) => (
        <Text size="sm" key={r.rule}>
          <b>{r.rule.replace(/_/g, ' ')}</b>: {r.words}
        </Text>
      ))}
      <Text size="sm">
        Double-booking is checked per {d.settings.doubleBooking.scope === 'provider' ? 'provider' : 'provider and department'} with half-open intervals (one ending at 10:00 and one starting at 10:00 do
        not overlap); it is reported, not undone.{' '}
        {d.settings.doubleBooking.overbookTypes.length ? `Types allowed to overlap: ${d.settings.doubleBooking.overbookTypes.join(', ')}.` : 'No appointment type may overlap.'}
      </Text>
    </Stack>
  )
}

/** Nightly appointment files: runs and their reports, the conflicts queue, held rows, and the rules in words. */
export function AppointmentBatchesPage() {
  const { practiceId, practice } = usePractice()
  if (!practiceId) return <PageHeader title="Appointment batches" />
  return (
    <>
      <PageHeader title="Appointment batches" description={`Schedule files of ${practice?.name ?? practiceId}: import, export, conflicts`} />
      <Tabs defaultValue="runs" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="runs">Runs</Tabs.Tab>
          <Tabs.Tab value="conflicts">Conflicts queue</Tabs.Tab>
          <Tabs.Tab value="rules">Rules</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="runs">
          <RunsTab practiceId={practiceId} />
        </Tabs.Panel>
        <Tabs.Panel value="conflicts">
          <ConflictsTab practiceId={practiceId} />
        </Tabs.Panel>
        <Tabs.Panel value="rules">
          <RulesTab practiceId={practiceId} />
        </Tabs.Panel>
      </Tabs>
    </>
  )
}
