import { Alert, Badge, Button, Checkbox, Drawer, Group, Select, Stack, Table, Text, Title, Tooltip, UnstyledButton } from '@mantine/core'
import { IconClipboardCheck, IconPencil, IconRefresh, IconTrash } from '@tabler/icons-react'
import { useEffect, useMemo, useState } from 'react'
import { Link, useSearch } from 'wouter'
import type { ErrorGroup, Selection } from '../../../../shared/api/errors-queue'
import type { TxSummary } from '../../../../shared/api/transactions'
import { useApi } from '../../api/client'
import { useAuth } from '../../app/auth'
import { setPersonFlag } from '../../app/person-flags'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { DiscardModal, EditReprocessModal, ReprocessModal, TriageModal } from './ActionModals'

const SEP = '\u001f'

export function ErrorsPage() {
  const { practiceId, practices, setPracticeId } = usePractice()
  const { can, me } = useAuth()
  // The first-run guide's "open the error queue" step (dashboard/FirstRunGuide.tsx).
  useEffect(() => setPersonFlag(me.id, 'error-queue-opened'), [me.id])
  const [lane, setLane] = useState<string | null>(null)
  const [connector, channel] = lane ? lane.split(SEP) : [undefined, undefined]
  const lanes = useApi('dashboard.lanes', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId) })
  const groups = useApi('errors.groups', { practiceId: practiceId ?? '', ...(connector ? { connector } : {}), ...(channel ? { channel } : {}) }, { enabled: Boolean(practiceId) })
  const [open, setOpen] = useState<string | null>(null)
  // A link from an alert (`/?practiceId=…&group=…#/errors`) selects its practice and opens its group, once.
  const search = useSearch()
  useEffect(() => {
    const q = new URLSearchParams(search)
    const linkedPractice = q.get('practiceId')
    const linkedGroup = q.get('group')
    if ((!linkedPractice && !linkedGroup) || practices.length === 0) return
    if (linkedPractice && practices.some((p) => p.id === linkedPractice)) setPracticeId(linkedPractice)
    if (linkedGroup) setOpen(linkedGroup)
    history.replaceState(history.state, '', window.location.pathname + window.location.hash)
  }, [search, practices, setPracticeId])
  const [reprocess, setReprocess] = useState<Selection | null>(null)
  const [discard, setDiscard] = useState<Selection | null>(null)
  const [triage, setTriage] = useState<Selection | null>(null)
  const [editing, setEditing] = useState<TxSummary | null>(null)
  const group = groups.data?.find((g) => g.group === open) ?? null
  const total = (groups.data ?? []).reduce((a, g) => a + g.count, 0)
  const filterSel: Selection | null = practiceId ? { kind: 'filter', filter: { practiceId, statuses: ['error'], ...(connector ? { connector } : {}), ...(channel ? { channel } : {}) } } : null

  return (
    <>
      <PageHeader
        title="Error queue"
        description="Failures grouped by cause (error code and message pattern), so one fix can clear a whole group."
        actions={
          can('msg.reprocess', practiceId) ? (
            <Button variant="default" leftSection={<IconRefresh size={16} />} disabled={!total} onClick={() => setReprocess(filterSel)}>
              Reprocess all {lane ? 'shown' : ''} ({total})
            </Button>
          ) : null
        }
      />
      <Group mb="sm" align="flex-end">
        <Select
          label="Connector / interface"
          placeholder="all"
          w={260}
          clearable
          data={(lanes.data ?? []).map((l) => ({ value: `${l.connector}${SEP}${l.channel}`, label: `${l.connector} / ${l.channel}` }))}
          value={lane}
          onChange={setLane}
        />
        <Text size="sm" c="dimmed">
          {total} failed transaction{total === 1 ? '' : 's'} in {groups.data?.length ?? 0} group{groups.data?.length === 1 ? '' : 's'}
        </Text>
      </Group>
      <ErrorAlert error={groups.error} />
      {groups.data && groups.data.length === 0 ? (
        <Alert color="teal" data-testid="errors-empty">
          No failed transactions. Nothing to do.
        </Alert>
      ) : null}
      <Table highlightOnHover data-testid="error-groups" withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th miw={320}>Cause</Table.Th>
            <Table.Th ta="right">Count</Table.Th>
            <Table.Th w={120}>Kind</Table.Th>
            <Table.Th>From</Table.Th>
            <Table.Th>First seen</Table.Th>
            <Table.Th>Last seen</Table.Th>
            <Table.Th>Triage</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(groups.data ?? []).map((g) => (
            <Table.Tr
              key={g.group}
              onClick={() => setOpen(g.group)}
              style={{ cursor: 'pointer' }}
              bg={open === g.group ? 'var(--mantine-color-default-hover)' : undefined}
              data-testid="error-group"
              data-code={g.code}
            >
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <Badge color="red" variant="light" tt="none" style={{ flexShrink: 0, overflow: 'visible' }}>
                    {g.code}
                  </Badge>
                  {/* The group opens from the keyboard too (Tab to it, Enter); the row click is a shortcut for the mouse. */}
                  <Tooltip label={`Latest: ${g.message}`} multiline w={420}>
                    <UnstyledButton
                      onClick={(e) => {
                        e.stopPropagation()
                        setOpen(g.group)
                      }}
                      aria-haspopup="dialog"
                      aria-label={`Open group ${g.code}: ${g.pattern} (${g.count})`}
                      data-testid="open-group"
                      style={{ textAlign: 'left' }}
                    >
                      <Text size="sm" td="underline" style={{ textDecorationStyle: 'dotted' }}>
                        {g.pattern}
                      </Text>
                    </UnstyledButton>
                  </Tooltip>
                </Group>
              </Table.Td>
              <Table.Td ta="right" fw={600} data-testid="group-count">
                {g.count}
              </Table.Td>
              <Table.Td>
                <Badge color={g.retryable ? 'orange' : 'grape'} variant="outline" style={{ overflow: 'visible' }}>
                  {g.retryable ? 'transient' : 'permanent'}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="xs">{g.lanes.map((l) => `${l.connector} / ${l.channel} (${l.count})`).join(', ')}</Text>
              </Table.Td>
              <Table.Td><Time value={g.firstSeen} /></Table.Td>
              <Table.Td><Time value={g.lastSeen} /></Table.Td>
              <Table.Td>
                <Text size="xs">
                  {g.triage.new} new · {g.triage.investigating} investigating · {g.triage.resolved} resolved
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {/* The detail opens where the eye is: a drawer over the queue, focus inside it, Escape closes and returns focus to the group. */}
      <Drawer
        opened={group !== null && practiceId !== null}
        onClose={() => setOpen(null)}
        position="right"
        size="min(1100px, 80vw)"
        title={group ? `${group.code}: ${group.pattern}` : ''}
        data-testid="group-drawer"
        closeButtonProps={{ 'aria-label': 'Close group' }}
        // Modals opened from the drawer (reprocess, discard, edit) sit above it.
        zIndex={190}
      >
        {group && practiceId ? (
          <GroupDetail
            key={group.group}
            practiceId={practiceId}
            group={group}
            onReprocess={setReprocess}
            onDiscard={setDiscard}
            onTriage={setTriage}
            onEdit={setEditing}
          />
        ) : null}
      </Drawer>
      <ReprocessModal selection={reprocess} onClose={() => setReprocess(null)} />
      <DiscardModal selection={discard} onClose={() => setDiscard(null)} />
      <TriageModal selection={triage} onClose={() => setTriage(null)} />
      <EditReprocessModal txId={editing?.id ?? null} stage="current" onClose={() => setEditing(null)} />
    </>
  )
}

function GroupDetail({
  practiceId,
  group,
  onReprocess,
  onDiscard,
  onTriage,
  onEdit,
}: {
  practiceId: string
  group: ErrorGroup
  onReprocess(s: Selection): void
  onDiscard(s: Selection): void
  onTriage(s: Selection): void
  onEdit(t: TxSummary): void
}) {
  // Actions the person may not take on this practice are not offered (the engine refuses them anyway).
  const { can } = useAuth()
  const may = { reprocess: can('msg.reprocess', practiceId), discard: can('msg.discard', practiceId), edit: can('msg.edit_payload', practiceId) }
  const [limit, setLimit] = useState(100)
  const list = useApi('transactions.list', { practiceId, statuses: ['error'], errorGroup: group.group, limit: Math.min(limit, 500) })
  const [selected, setSelected] = useState<Set<number>>(new Set())
  const rows = useMemo(() => list.data?.items ?? [], [list.data])
  const visibleSelected = rows.filter((r) => selected.has(r.id)).map((r) => r.id)
  const groupSel: Selection = { kind: 'group', practiceId, group: group.group }
  const selSel: Selection | null = visibleSelected.length ? { kind: 'ids', ids: visibleSelected } : null
  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s)
      if (n.has(id)) n.delete(id)
      else n.add(id)
      return n
    })

  return (
    <div data-testid="group-detail">
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start">
          <div>
            <Title order={4} size="h5">
              {group.count} failed transaction{group.count === 1 ? '' : 's'} · latest: {group.message}
            </Title>
            <Text size="sm" c="dimmed">
              {group.retryable
                ? 'Transient (timeouts, rate limits, server errors): retrying the same payload can succeed.'
                : 'Permanent (validation, mapping, unknown codes): the same payload fails again. Edit the message, or fix the mapping and then reprocess the group.'}
            </Text>
          </div>
          <Group gap="xs">
            {may.reprocess ? (
              <>
                <Button leftSection={<IconRefresh size={16} />} variant={group.retryable ? 'filled' : 'default'} onClick={() => onReprocess(groupSel)}>
                  {group.retryable ? 'Retry group' : 'Reprocess group'} ({group.count})
                </Button>
                <Button leftSection={<IconClipboardCheck size={16} />} variant="default" onClick={() => onTriage(groupSel)}>
                  Triage group
                </Button>
              </>
            ) : null}
            {may.discard ? (
              <Button leftSection={<IconTrash size={16} />} variant="default" color="red" onClick={() => onDiscard(groupSel)}>
                Discard group
              </Button>
            ) : null}
          </Group>
        </Group>
        {may.reprocess || may.discard ? (
          <Group gap="xs">
            <Text size="sm">{visibleSelected.length} selected</Text>
            {may.reprocess ? (
              <>
                <Button size="xs" variant="light" disabled={!selSel} onClick={() => selSel && onReprocess(selSel)}>
                  Reprocess selected
                </Button>
                <Button size="xs" variant="light" disabled={!selSel} onClick={() => selSel && onTriage(selSel)}>
                  Triage selected
                </Button>
              </>
            ) : null}
            {may.discard ? (
              <Button size="xs" variant="light" color="red" disabled={!selSel} onClick={() => selSel && onDiscard(selSel)}>
                Discard selected
              </Button>
            ) : null}
          </Group>
        ) : null}
        <ErrorAlert error={list.error} />
        <Table fz="sm" data-testid="group-transactions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40}>
                <Checkbox
                  aria-label="Select all shown"
                  checked={rows.length > 0 && visibleSelected.length === rows.length}
                  indeterminate={visibleSelected.length > 0 && visibleSelected.length < rows.length}
                  onChange={(e) => setSelected(e.currentTarget.checked ? new Set(rows.map((r) => r.id)) : new Set())}
                />
              </Table.Th>
              <Table.Th>Transaction</Table.Th>
              <Table.Th>Received</Table.Th>
              <Table.Th>Keys</Table.Th>
              <Table.Th>Message</Table.Th>
              <Table.Th>Attempts</Table.Th>
              <Table.Th>Triage</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((t) => (
              <Table.Tr key={t.id} data-testid={`error-row-${t.id}`}>
                <Table.Td>
                  <Checkbox aria-label={`Select transaction ${t.id}`} checked={selected.has(t.id)} onChange={() => toggle(t.id)} />
                </Table.Td>
                <Table.Td>
                  <Link href={`/transactions/${t.id}`}>#{t.id}</Link>
                </Table.Td>
                <Table.Td><Time value={t.receivedAt} /></Table.Td>
                <Table.Td>
                  <Text size="xs">{[t.mrn && `MRN ${t.mrn}`, t.controlId && `ctl ${t.controlId}`, t.appointmentId && `appt ${t.appointmentId}`].filter(Boolean).join(' · ')}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{t.errorMessage}</Text>
                </Table.Td>
                <Table.Td>{t.attempts}</Table.Td>
                <Table.Td>{t.triageState ?? 'new'}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {may.reprocess ? (
                      <Button size="compact-xs" variant={t.errorRetryable ? 'filled' : 'light'} onClick={() => onReprocess({ kind: 'ids', ids: [t.id] })} aria-label={`${t.errorRetryable ? 'Retry' : 'Reprocess'} ${t.id}`}>
                        {t.errorRetryable ? 'Retry' : 'Reprocess'}
                      </Button>
                    ) : null}
                    {may.edit ? (
                      <Button size="compact-xs" variant={t.errorRetryable ? 'light' : 'filled'} leftSection={<IconPencil size={12} />} onClick={() => onEdit(t)} aria-label={`Edit ${t.id}`}>
                        Edit
                      </Button>
                    ) : null}
                    {may.discard ? (
                      <Button size="compact-xs" variant="light" color="red" leftSection={<IconTrash size={12} />} onClick={() => onDiscard({ kind: 'ids', ids: [t.id] })} aria-label={`Discard ${t.id}`}>
                        Discard
                      </Button>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {list.data?.nextCursor !== null && list.data ? (
          <Button variant="subtle" onClick={() => setLimit((l) => l + 100)} disabled={limit >= 500}>
            {limit >= 500 ? 'Showing the newest 500; act on the group for all of them' : 'Show more'}
          </Button>
        ) : null}
      </Stack>
    </div>
  )
}
