import { Badge, Button, Group, Stack, Table, Tabs, Text } from '@mantine/core'
import { useState } from 'react'
import { api, useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { Time } from '../../app/time-format'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { downloadText } from '../../components/download'
import { DuplicatesTab } from './DuplicatesTab'
import { show } from './show-value'

const OUTCOME_COLOR: Record<string, string> = { created: 'teal', updated: 'blue', unchanged: 'gray', held: 'grape', duplicate: 'orange', rejected: 'red' }
const OUTCOMES = ['created', 'updated', 'unchanged', 'held', 'duplicate', 'rejected'] as const


/** One file's report: counts by outcome and every row with its line, outcome and reasons; downloadable as CSV. */
function FileReport({ practiceId, txId }: { practiceId: string; txId: number }) {
  const report = useApi('files.report', { practiceId, txId, limit: 1000 })
  const mayDownload = useMayCall('files.reportCsv', practiceId)
  if (report.error) return <ErrorAlert error={report.error} />
  const r = report.data
  if (!r) return null
  return (
    <Stack gap="xs" data-testid="file-report">
      <Group gap="xs">
        <Text fw={600}>{r.name}</Text>
        {OUTCOMES.map((k) => (
          <Badge key={k} color={OUTCOME_COLOR[k]} variant={r.counts[k] ? 'filled' : 'light'} data-testid={`count-${k}`}>
            {r.counts[k] ?? 0} {k}
          </Badge>
        ))}
        {mayDownload ? (
          <Button size="compact-xs" variant="light" onClick={() => void api('files.reportCsv', { practiceId, txId }).then((f) => downloadText(f.fileName, f.csv))}>
            Download report (CSV)
          </Button>
        ) : null}
      </Group>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Line</Table.Th>
            <Table.Th>Outcome</Table.Th>
            <Table.Th>Patient id (file)</Table.Th>
            <Table.Th>Patient</Table.Th>
            <Table.Th>Why</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {r.rows.map((row) => {
            const d = row.detail ?? {}
            const list = (k: string) => (Array.isArray(d[k]) ? (d[k] as unknown[]).join('; ') : '')
            const why = [list('reasons'), list('applied') && `applied: ${list('applied')}`, list('held') && `held: ${list('held')}`, d.grade ? `${String(d.grade)} match with record ${String(d.candidate ?? '')}` : ''].filter(Boolean).join(' · ')
            return (
              <Table.Tr key={row.line} data-testid={`report-line-${row.line}`}>
                <Table.Td>{row.line}</Table.Td>
                <Table.Td>
                  <Badge color={OUTCOME_COLOR[row.outcome]}>{row.outcome}</Badge>
                </Table.Td>
                <Table.Td>{row.extId ?? '—'}</Table.Td>
                <Table.Td>{row.recordId ?? '—'}</Table.Td>
                <Table.Td>{why}</Table.Td>
              </Table.Tr>
            )
          })}
        </Table.Tbody>
      </Table>
      {r.nextLine ? <Text size="sm" c="dimmed">The first 1000 rows are shown; the CSV has them all.</Text> : null}
    </Stack>
  )
}

/** The files the practice's pickups took, newest first; one opens its report. */
function FilesTab({ practiceId }: { practiceId: string }) {
  const files = useApi('files.list', { practiceId }, { refetchInterval: 5000 })
  const [open, setOpen] = useState<number | null>(null)
  return (
    <Stack>
      <ErrorAlert error={files.error} />
      {files.data && files.data.length === 0 ? <Text c="dimmed">No file has been picked up yet. File jobs are set up on the Connections page.</Text> : null}
      <Table data-testid="import-files">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>File</Table.Th>
            <Table.Th>Taken</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Rows</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(files.data ?? []).map((f) => (
            <Table.Tr key={f.id} data-testid={`import-file-${f.name}`}>
              <Table.Td>{f.name}</Table.Td>
              <Table.Td>
                <Time value={f.createdAt} />
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={f.status === 'error' || f.status === 'refused' ? 'red' : 'teal'}>
                  {f.txStatus ?? f.status}
                </Badge>
              </Table.Td>
              <Table.Td>{f.counts ? OUTCOMES.filter((k) => f.counts![k]).map((k) => `${f.counts![k]} ${k}`).join(', ') : f.detail ?? ''}</Table.Td>
              <Table.Td>
                {f.txId ? (
                  <Button size="compact-xs" variant="subtle" onClick={() => setOpen(open === f.txId ? null : f.txId)} aria-label={`Report of ${f.name}`}>
                    Report
                  </Button>
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {open ? <FileReport practiceId={practiceId} txId={open} /> : null}
    </Stack>
  )
}

/** Field changes the reconciliation policy sent to review: the stored value, the file's, where it came from; accept or reject, one or all. */
function HeldChangesTab({ practiceId }: { practiceId: string }) {
  const held = useApi('files.changes', { practiceId, status: 'held', limit: 1000 })
  const decide = useApiMutation('files.decideChanges', ['files.changes', 'audit.list'])
  const mayDecide = useMayCall('files.decideChanges', practiceId)
  const rows = held.data ?? []
  const act = (ids: number[], decision: 'accept' | 'reject') => decide.mutate({ practiceId, ids, decision })
  return (
    <Stack>
      <ErrorAlert error={held.error ?? decide.error} />
      {held.data && rows.length === 0 ? (
        <Text c="dimmed" data-testid="no-held-changes">
          No field change waits for review.
        </Text>
      ) : null}
      {rows.length ? (
        <>
          {mayDecide ? (
            <Group gap="xs">
              <Button size="xs" variant="light" onClick={() => act(rows.map((c) => c.id), 'accept')} loading={decide.isPending}>
                Accept all {rows.length}
              </Button>
              <Button size="xs" variant="light" color="red" onClick={() => act(rows.map((c) => c.id), 'reject')} loading={decide.isPending}>
                Reject all {rows.length}
              </Button>
            </Group>
          ) : null}
          <Table data-testid="held-changes">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Patient</Table.Th>
                <Table.Th>Field</Table.Th>
                <Table.Th>Stored</Table.Th>
                <Table.Th>From the file</Table.Th>
                <Table.Th>Where</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((c) => {
                const who = c.patient?.name ?? `record ${c.recordId}`
                return (
                  <Table.Tr key={c.id} data-testid={`held-${c.field}-${c.recordId}`}>
                    <Table.Td>
                      <Text size="sm">{c.patient?.name ?? `Record ${c.recordId}`}</Text>
                      {c.patient?.ids.length ? (
                        <Text size="xs" c="dimmed">
                          {c.patient.ids.join(', ')}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>{c.field}</Table.Td>
                    <Table.Td data-testid="held-old">{show(c.oldValue)}</Table.Td>
                    <Table.Td data-testid="held-new">{show(c.newValue)}</Table.Td>
                    <Table.Td>
                      <Text size="xs">
                        {c.source}
                        {c.line ? `, line ${c.line}` : ''}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {mayDecide ? (
                        <Group gap={4} wrap="nowrap">
                          <Button size="compact-xs" onClick={() => act([c.id], 'accept')} aria-label={`Accept ${c.field} of ${who}`}>
                            Accept
                          </Button>
                          <Button size="compact-xs" variant="light" color="red" onClick={() => act([c.id], 'reject')} aria-label={`Reject ${c.field} of ${who}`}>
                            Reject
                          </Button>
                        </Group>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        </>
      ) : null}
    </Stack>
  )
}

/** The demographics imports of a practice: each file's report, held field changes, and the potential-duplicates worklist. */
export function PatientImportsPage() {
  const { practiceId, practice } = usePractice()
  if (!practiceId) return <PageHeader title="Patient imports" />
  return (
    <>
      <PageHeader title="Patient imports" description={`Demographics files of ${practice?.name ?? practiceId}: what each file did, changes held for review, possible duplicate patients`} />
      <Tabs defaultValue="files" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="files">Files</Tabs.Tab>
          <Tabs.Tab value="held">Held changes</Tabs.Tab>
          <Tabs.Tab value="duplicates">Possible duplicates</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="files">
          <FilesTab practiceId={practiceId} />
        </Tabs.Panel>
        <Tabs.Panel value="held">
          <HeldChangesTab practiceId={practiceId} />
        </Tabs.Panel>
        <Tabs.Panel value="duplicates">
          <DuplicatesTab practiceId={practiceId} />
        </Tabs.Panel>
      </Tabs>
    </>
  )
}
