import { Alert, Autocomplete, Badge, Button, Checkbox, Code, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core'
import { IconDownload, IconShieldCheck } from '@tabler/icons-react'
import { useEffect, useRef, useState } from 'react'
import { Link } from 'wouter'
import type { AuditEntryDto } from '../../../../shared/api/audit'
import { api, type ApiError, useApi, useApiMutation } from '../../api/client'
import { useCan } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { useEngineEvent } from '../../components/console/engine-events'
import { ErrorAlert } from '../../components/ErrorAlert'
import { AcceptBreakButton } from '../../components/console/AcceptBreakButton'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'

const ACTIONS = [
  'access.denied',
  'auth.sign_in',
  'auth.session_end',
  'auth.step_up',
  'auth.locked',
  'person.invite',
  'person.grants',
  'person.disable',
  'breakglass.start',
  'breakglass.stop',
  'breakglass.review',
  'phi.reveal',
  'transaction.inspect',
  'transaction.view_payload',
  'transaction.preview',
  'transaction.edit',
  'transaction.reprocess',
  'transaction.discard',
  'transaction.triage',
  'errors.bulk_reprocess',
  'errors.bulk_discard',
  'transactions.export',
  'saved_search.create',
  'saved_search.update',
  'saved_search.delete',
  'alert_rule.create',
  'alert_rule.update',
  'alert_rule.delete',
  'connection.test',
  'hl7.sendTest',
  'hl7.tryInterface',
  'practice.create',
  'practice.update',
  'practice.delete',
  'config.export',
  'config.import',
  'audit.verify',
  'audit.break_accepted',
]

const PAGE = 100

/** The append-only, hash-chained audit trail: who did what to which target, filterable, with chain verification. */
export function AuditPage() {
  const { practiceId } = usePractice()
  const [action, setAction] = useState('')
  const [targetType, setTargetType] = useState('')
  const [targetId, setTargetId] = useState('')
  const [allPractices, setAllPractices] = useState(false)
  const [outcome, setOutcome] = useState<string | null>(null)
  const [personId, setPersonId] = useState<string | null>(null)
  const managesPeople = useCan('users.manage')
  const people = useApi('people.list', {}, { enabled: managesPeople })
  const [exportError, setExportError] = useState<ApiError | null>(null)
  const [rows, setRows] = useState<AuditEntryDto[]>([])
  const [more, setMore] = useState(false)
  const [error, setError] = useState<ApiError | null>(null)
  const [tick, setTick] = useState(0)
  const verify = useApiMutation('audit.verify', ['audit.list'])
  const query = {
    ...(action.trim() ? { action: action.trim() } : {}),
    ...(targetType.trim() ? { targetType: targetType.trim() } : {}),
    ...(targetId.trim() ? { targetId: targetId.trim() } : {}),
    ...(!allPractices && practiceId ? { practiceId } : {}),
    ...(outcome ? { outcome: outcome as 'ok' | 'error' | 'denied' } : {}),
    ...(personId ? { personId } : {}),
  }
  const key = JSON.stringify(query)

  useEffect(() => {
    let live = true
    api('audit.list', { ...(JSON.parse(key) as object), limit: PAGE })
      .then((r) => {
        if (!live) return
        setRows(r)
        setMore(r.length === PAGE)
        setError(null)
      })
      .catch((e: ApiError) => live && setError(e))
    return () => {
      live = false
    }
  }, [key, tick])
  // Bulk actions append hundreds of entries at once: refresh at most a few times a second.
  const refresh = useRef<ReturnType<typeof setTimeout> | null>(null)
  useEngineEvent('audit.appended', () => {
    if (refresh.current) return
    refresh.current = setTimeout(() => {
      refresh.current = null
      setTick((n) => n + 1)
    }, 400)
  })
  useEffect(() => () => void (refresh.current && clearTimeout(refresh.current)), [])

  const loadMore = () => {
    const last = rows[rows.length - 1]
    if (!last) return
    api('audit.list', { ...query, beforeSeq: last.seq, limit: PAGE })
      .then((r) => {
        setRows((x) => [...x, ...r])
        setMore(r.length === PAGE)
      })
      .catch((e: ApiError) => setError(e))
  }

  return (
    <>
      <PageHeader
        title="Audit trail"
        description="Every action that touched PHI or configuration: who, what, which target. Entries are hash-chained; verification walks the whole chain."
        actions={
          <>
            <Button variant="light" leftSection={<IconShieldCheck size={16} />} loading={verify.isPending} onClick={() => verify.mutate({})}>
              Verify chain
            </Button>
            <Button
              variant="light"
              leftSection={<IconDownload size={16} />}
              onClick={async () => {
                try {
                  const r = await api('audit.export', query)
                  const a = document.createElement('a')
                  a.href = URL.createObjectURL(new Blob([r.csv], { type: 'text/csv' }))
                  a.download = r.filename
                  a.click()
                  URL.revokeObjectURL(a.href)
                  setExportError(null)
                } catch (e) {
                  setExportError(e as ApiError)
                }
              }}
            >
              Export CSV
            </Button>
          </>
        }
      />
      {verify.data ? (
        <Alert mb="sm" color={verify.data.ok ? 'teal' : 'red'} data-testid="audit-verify-result">
          <Group justify="space-between">
            <Text size="sm">
              {verify.data.ok ? `Intact: ${verify.data.checked} entries verified.` : `Broken at entry ${verify.data.firstBrokenSeq} (${verify.data.reason}); ${verify.data.checked} entries before it verify.`}
            </Text>
            {verify.data.ok ? null : <AcceptBreakButton onAccepted={() => verify.reset()} />}
          </Group>
        </Alert>
      ) : null}
      <ErrorAlert error={error ?? verify.error ?? exportError} />
      <Group align="flex-end" mb="sm">
        <Autocomplete label="Action" placeholder="any" data={ACTIONS} value={action} onChange={setAction} w={240} clearable />
        <TextInput label="Target type" placeholder="transaction, practice…" value={targetType} onChange={(e) => setTargetType(e.currentTarget.value)} w={180} />
        <TextInput label="Target id" placeholder="e.g. 42" value={targetId} onChange={(e) => setTargetId(e.currentTarget.value)} w={160} />
 <Select label="Outcome" placeholder="any" data={['ok', 'error', 'denied']} value={outcome} onChange={setOutcome} w={120} clearable />
        {managesPeople ? (
          <Select label="Person" placeholder="anyone" data={(people.data ?? []).map((p) => ({ value: p.id, label: p.username }))} value={personId} onChange={setPersonId} w={180} clearable searchable />
        ) : null}
        <Checkbox label="All practices" checked={allPractices} onChange={(e) => setAllPractices(e.currentTarget.checked)} mb={8} />
      </Group>
      <Table striped fz="sm" data-testid="audit-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>Time</Table.Th>
            <Table.Th>Who</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>Practice</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th>Outcome</Table.Th>
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((e) => (
            <Table.Tr key={e.seq} data-testid={`audit-row-${e.seq}`} data-action={e.action}>
              <Table.Td>{e.seq}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}><Time value={e.at} /></Table.Td>
              <Table.Td>
                {e.actor}
                {e.breakglassId ? (
                  <Badge size="xs" color="red" ml={4}>
                    break-glass
                  </Badge>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Code>{e.action}</Code>
                {e.permission ? (
                  <Text size="xs" c="dimmed">
                    {e.permission}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>{e.practiceId ?? '—'}</Table.Td>
              <Table.Td>
                {e.targetType === 'transaction' && e.targetId ? (
                  <Link href={`/transactions/${e.targetId}`}>transaction #{e.targetId}</Link>
                ) : (
                  <Text size="sm">{[e.targetType, e.targetId].filter(Boolean).join(' ') || '—'}</Text>
                )}
              </Table.Td>
              <Table.Td>
                <Badge size="sm" color={e.outcome === 'ok' ? 'teal' : e.outcome === 'denied' ? 'orange' : 'red'} variant="light">
                  {e.outcome}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {JSON.stringify(e.details)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Stack align="center" mt="sm">
        {rows.length === 0 ? <Text c="dimmed">No entries match.</Text> : null}
        {more ? (
          <Button variant="subtle" onClick={loadMore}>
            Older entries
          </Button>
        ) : null}
      </Stack>
    </>
  )
}
