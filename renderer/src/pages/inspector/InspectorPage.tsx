import { ActionIcon, Alert, Badge, Button, Card, CopyButton, Group, SimpleGrid, Stack, Table, Tabs, Text, Timeline, Title, Tooltip } from '@mantine/core'
import { IconArchiveOff, IconBuildingHospital, IconCheck, IconEye, IconEyeOff, IconLink, IconPencil, IconRefresh, IconTrash, IconClipboardCheck } from '@tabler/icons-react'
import { useState } from 'react'
import { useParams } from 'wouter'
import type { InspectorStage, RecordDiff } from '../../../../shared/api/inspector'
import type { TxDetail, TxStep } from '../../../../shared/api/transactions'
import { api, useApi } from '../../api/client'
import { useAuth } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { useRevealGate, type RevealGate } from '../../components/console/reveal-gate'
import { StatusBadge } from '../../components/console/StatusBadge'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time, useTimeFormat } from '../../app/time-format'
import type { Selection } from '../../../../shared/api/errors-queue'
import { DiscardModal, EditReprocessModal, ReprocessModal, TriageModal } from '../errors/ActionModals'
import { FhirFactsCard } from './FhirFactsCard'
import { PayloadChanges } from './PayloadChanges'
import { SideBySide } from './SideBySide'
import { StageView, STAGE_LABEL } from './StageView'
import { TxNav } from './TxNav'

export function InspectorPage() {
  const params = useParams<{ id: string }>()
  const id = Number(params.id)
  const fmt = useTimeFormat()
  const tx = useApi('transactions.get', { id }, { enabled: Number.isInteger(id) })
  // The content needs PHI rights on the transaction's practice; metadata alone is for everyone who sees the practice.
  const { can } = useAuth()
  const seesContent = can('msg.view_phi', tx.data?.practiceId)
  const view = useApi('inspector.view', { id }, { enabled: Number.isInteger(id) && seesContent })
  const [reprocess, setReprocess] = useState<Selection | null>(null)
  const [discard, setDiscard] = useState<Selection | null>(null)
  const [triage, setTriage] = useState<Selection | null>(null)
  const [editing, setEditing] = useState(false)
  const t = tx.data
  const { practiceId, practices, setPracticeId } = usePractice()
  const owner = t ? practices.find((p) => p.id === t.practiceId) : undefined
  const ownerName = owner?.name ?? t?.practiceId ?? ''
  // A link to another practice's message: say whose it is, and act only once the console is in that practice.
  const elsewhere = t !== undefined && practiceId !== null && t.practiceId !== practiceId
  const current = practices.find((p) => p.id === practiceId)
  const permalink = `${location.origin}${location.pathname}${location.search}#/transactions/${id}`

  return (
    <>
      <PageHeader
        title={`Transaction #${Number.isInteger(id) ? id : '?'}`}
        description={t ? `${t.connector} / ${t.channel} · ${t.direction === 'in' ? 'inbound' : 'outbound'} · ${t.messageType ?? 'unknown type'} · received ${fmt.format(t.receivedAt)}` : undefined}
        actions={
          <>
            {t ? (
              <Badge size="lg" variant="filled" color={elsewhere ? 'orange.9' : 'indigo'} leftSection={<IconBuildingHospital size={14} />} tt="none" data-testid="tx-practice">
                {ownerName}
              </Badge>
            ) : null}
            {t ? <TxNav id={id} practiceId={t.practiceId} /> : null}
            <CopyButton value={permalink}>
              {({ copied, copy }) => (
                <Button variant="default" leftSection={copied ? <IconCheck size={16} /> : <IconLink size={16} />} onClick={copy}>
                  {copied ? 'Copied' : 'Copy link'}
                </Button>
              )}
            </CopyButton>
          </>
        }
      />
      <ErrorAlert error={tx.error} />
      {elsewhere && t ? (
        <Alert color="orange" variant="filled" mb="md" icon={<IconBuildingHospital size={20} />} title={`This transaction belongs to ${ownerName}`} data-testid="practice-mismatch">
          <Group justify="space-between" align="center">
            <Text size="sm">
              The console is set to {current?.name ?? practiceId}. Switch to {ownerName} before changing this message, so you do not act on one site believing you are in another.
            </Text>
            <Button color="dark" variant="white" onClick={() => setPracticeId(t.practiceId)}>
              Switch to {ownerName}
            </Button>
          </Group>
        </Alert>
      ) : null}
      {t ? (
        <Stack>
          <Card withBorder>
            <Group justify="space-between" align="flex-start">
              <Stack gap={6}>
                <Group gap="xs">
                  <StatusBadge status={t.status} />
                  <Text size="sm">attempt {t.attempts}</Text>
                  {t.durationMs !== null ? <Text size="sm">· {t.durationMs} ms</Text> : null}
                  {t.triageState ? <Badge variant="outline">{t.triageState}</Badge> : null}
                  {t.payloadVersion > 0 ? <Badge variant="light" color="grape">edited (version {t.payloadVersion})</Badge> : null}
                </Group>
                <Group gap="xs">
                  {[
                    ['MRN', t.mrn],
                    ['patient', t.patientId],
                    ['appointment', t.appointmentId],
                    ['control id', t.controlId],
                    ['peer', t.peer],
                  ]
                    .filter(([, v]) => v)
                    .map(([k, v]) => (
                      <Badge key={k} variant="outline" color="gray" tt="none">
                        {k}: {v}
                      </Badge>
                    ))}
                </Group>
                {t.errorCode ? (
                  <Alert color={t.status !== 'error' ? 'gray' : t.errorRetryable ? 'orange' : 'red'} p="xs" data-testid="tx-error">
                    {t.status === 'error' ? '' : 'Last error: '}
                    {t.errorMessage} ({t.errorCode}, {t.errorRetryable ? 'transient: retry can succeed' : 'permanent: edit the message or fix the mapping'})
                  </Alert>
                ) : null}
                {t.discardReason ? <Text size="sm">Discarded: {t.discardReason}</Text> : null}
                {t.triageNote ? <Text size="sm">Note: {t.triageNote}</Text> : null}
              </Stack>
              <TxActions t={t} locked={elsewhere} onReprocess={() => setReprocess({ kind: 'ids', ids: [id] })} onEdit={() => setEditing(true)} onDiscard={() => setDiscard({ kind: 'ids', ids: [id] })} onTriage={() => setTriage({ kind: 'ids', ids: [id] })} />
            </Group>
          </Card>
          {t.rawPruned ? <PrunedNotice pruned={t.rawPruned} /> : null}
          {seesContent ? (
            <ErrorAlert error={view.error} />
          ) : (
            <Text size="sm" c="dimmed" data-testid="content-hidden">
              The message content is not shown: it needs the right to view PHI on this practice.
            </Text>
          )}
          {view.data && t.connector === 'fhir' ? <FhirFactsCard stages={view.data.stages} /> : null}
          {view.data ? <InspectorTabs tx={t} stages={view.data.stages} diffs={view.data.diffs} /> : null}
        </Stack>
      ) : null}
      <ReprocessModal selection={reprocess} onClose={() => setReprocess(null)} />
      <DiscardModal selection={discard} onClose={() => setDiscard(null)} />
      <TriageModal selection={triage} onClose={() => setTriage(null)} />
      <EditReprocessModal txId={editing ? id : null} stage={t && t.payloadVersion > 0 ? 'current' : 'raw'} onClose={() => setEditing(false)} />
    </>
  )
}

/** Retention removed the raw payload: say so, with when and by which rule, instead of an empty payload. */
function PrunedNotice({ pruned }: { pruned: NonNullable<TxDetail['rawPruned']> }) {
  const fmt = useTimeFormat()
  const rule = pruned.days === null ? null : `raw payloads are kept ${pruned.days} day${pruned.days === 1 ? '' : 's'} (${pruned.scope === 'connector' ? "this connector's" : "the practice's"} retention rule)`
  return (
    <Alert color="gray" icon={<IconArchiveOff size={20} />} title="Raw payload removed by retention" data-testid="payload-pruned">
      <Text size="sm">
        Raw payload removed by retention on {fmt.format(pruned.at)}; metadata kept{rule ? `: ${rule}` : ''}. The message's fingerprint (SHA-256), its steps and its
        acknowledgment stay; it can no longer be reprocessed or edited.
      </Text>
    </Alert>
  )
}

const PRUNED_REASON = 'The raw payload was removed by retention: there is nothing to reprocess or edit.'

function TxActions({ t, locked, onReprocess, onEdit, onDiscard, onTriage }: { t: TxDetail; locked: boolean; onReprocess(): void; onEdit(): void; onDiscard(): void; onTriage(): void }) {
  const pending = locked || t.status === 'received' || t.status === 'queued' || t.status === 'processing'
  const permanent = t.status === 'error' && t.errorRetryable === false
  // Only the actions the person may take on this transaction's practice (the engine refuses the others anyway).
  const { can } = useAuth()
  const pruned = t.rawPruned !== null
  return (
    <Group gap="xs">
      {can('msg.reprocess', t.practiceId) ? (
        <Tooltip label={PRUNED_REASON} disabled={!pruned}>
          <Button variant={permanent ? 'default' : 'filled'} leftSection={<IconRefresh size={16} />} disabled={pending || pruned} onClick={onReprocess}>
            {t.status === 'error' && t.errorRetryable ? 'Retry' : 'Reprocess'}
          </Button>
        </Tooltip>
      ) : null}
      {can('msg.edit_payload', t.practiceId) ? (
        <Tooltip label={PRUNED_REASON} disabled={!pruned}>
          <Button variant={permanent ? 'filled' : 'default'} leftSection={<IconPencil size={16} />} disabled={pending || pruned} onClick={onEdit}>
            Edit & reprocess
          </Button>
        </Tooltip>
      ) : null}
      {t.status === 'error' && can('msg.reprocess', t.practiceId) ? (
        <Button variant="default" leftSection={<IconClipboardCheck size={16} />} onClick={onTriage} disabled={locked}>
          Triage
        </Button>
      ) : null}
      {can('msg.discard', t.practiceId) ? (
        <Button variant="default" color="red" leftSection={<IconTrash size={16} />} disabled={locked || t.status === 'processing' || t.status === 'discarded'} onClick={onDiscard}>
          Discard
        </Button>
      ) : null}
    </Group>
  )
}

function InspectorTabs({ tx, stages, diffs }: { tx: TxDetail; stages: InspectorStage[]; diffs: RecordDiff[] }) {
  const gate = useRevealGate()
  const mapped = stages.find((s) => s.stage === 'mapped')
  const source = stages.find((s) => s.stage === 'current') ?? stages.find((s) => s.stage === 'raw')
  const sideBySide = Boolean(mapped?.lineage?.length && source)
  const [tab, setTab] = useState<string | null>(sideBySide ? 'side' : (stages[0]?.stage ?? 'timeline'))
  return (
    <>
      {gate.modal}
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          {sideBySide ? <Tabs.Tab value="side">Side by side</Tabs.Tab> : null}
          {stages.map((s) => (
            <Tabs.Tab key={s.stage} value={s.stage}>
              {STAGE_LABEL[s.stage] ?? s.stage}
            </Tabs.Tab>
          ))}
          {tx.payloadVersion > 0 ? <Tabs.Tab value="changes">Changes to the original</Tabs.Tab> : null}
          <Tabs.Tab value="timeline">Timeline ({tx.steps.length})</Tabs.Tab>
          <Tabs.Tab value="diff">Record changes ({diffs.reduce((a, d) => a + d.fields.length, 0)})</Tabs.Tab>
        </Tabs.List>
        {sideBySide && mapped && source ? (
          <Tabs.Panel value="side" pt="sm">
            <SideBySide txId={tx.id} source={source} mapped={mapped} gate={gate} />
          </Tabs.Panel>
        ) : null}
        {stages.map((s) => (
          <Tabs.Panel key={s.stage} value={s.stage} pt="sm">
            <StageView txId={tx.id} stage={s} gate={gate} />
          </Tabs.Panel>
        ))}
        {tx.payloadVersion > 0 ? (
          <Tabs.Panel value="changes" pt="sm">
            <PayloadChanges txId={tx.id} gate={gate} />
          </Tabs.Panel>
        ) : null}
        <Tabs.Panel value="timeline" pt="sm">
          <StepsTimeline steps={tx.steps} versions={tx.payloadVersions} />
        </Tabs.Panel>
        <Tabs.Panel value="diff" pt="sm">
          <DiffView txId={tx.id} diffs={diffs} gate={gate} />
        </Tabs.Panel>
      </Tabs>
    </>
  )
}

const OUTCOME_COLOR: Record<TxStep['outcome'], string> = { ok: 'teal', error: 'red', filtered: 'yellow', skipped: 'gray', retry: 'orange' }

function StepsTimeline({ steps, versions }: { steps: TxStep[]; versions: TxDetail['payloadVersions'] }) {
  if (steps.length === 0) return <Text c="dimmed">Not processed yet.</Text>
  const attempts = [...new Set(steps.map((s) => s.attempt))]
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      {attempts.map((a) => (
        <Card withBorder key={a} data-testid={`attempt-${a}`}>
          <Title order={5} mb="sm">
            Attempt {a}
          </Title>
          <Timeline bulletSize={18} lineWidth={2} active={steps.length}>
            {steps
              .filter((s) => s.attempt === a)
              .map((s, i) => (
                <Timeline.Item key={i} color={OUTCOME_COLOR[s.outcome]} title={`${s.step}: ${s.outcome}`}>
                  <Text size="xs" c="dimmed">
                    <Time value={s.startedAt} /> · {Math.round(s.durationMs * 100) / 100} ms
                  </Text>
                  {s.detail ? <Text size="sm">{s.detail}</Text> : null}
                </Timeline.Item>
              ))}
          </Timeline>
        </Card>
      ))}
      {versions.length ? (
        <Card withBorder>
          <Title order={5} mb="sm">
            Payload edits
          </Title>
          {versions.map((v) => (
            <Text size="sm" key={v.version}>
              Version {v.version} by {v.editedBy}, <Time value={v.createdAt} />: {v.reason}
            </Text>
          ))}
        </Card>
      ) : null}
    </SimpleGrid>
  )
}

function DiffView({ txId, diffs, gate }: { txId: number; diffs: RecordDiff[]; gate: RevealGate }) {
  const [shown, setShown] = useState<Record<string, { before: string | null; after: string | null }>>({})
  const [error, setError] = useState<Error | null>(null)
  if (diffs.length === 0) return <Text c="dimmed">This transaction changed no stored record.</Text>
  return (
    <Stack>
      <ErrorAlert error={error} />
      {diffs.map((d, i) => (
        <Card withBorder key={i}>
          <Group mb="xs" gap="xs">
            <Title order={5}>
              {d.kind} #{d.recordId}
            </Title>
            <Badge variant="light">{d.op}</Badge>
            <Text size="xs" c="dimmed">
              <Time value={d.at} />
            </Text>
          </Group>
          <Table fz="sm" data-testid="record-diff">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Change</Table.Th>
                <Table.Th>Before</Table.Th>
                <Table.Th>After</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.fields.map((f) => {
                const key = `${i}:${f.path}`
                const v = shown[key] ?? f
                return (
                  <Table.Tr key={f.path}>
                    <Table.Td ff="monospace">{f.path}</Table.Td>
                    <Table.Td>
                      <Badge size="xs" color={f.change === 'added' ? 'teal' : f.change === 'removed' ? 'red' : 'blue'} variant="light">
                        {f.change}
                      </Badge>
                    </Table.Td>
                    <Table.Td ff="monospace">{v.before ?? '—'}</Table.Td>
                    <Table.Td ff="monospace">
                      <Group gap={4} wrap="nowrap">
                        {v.after ?? '—'}
                        {f.masked && shown[key] ? (
                          <Tooltip label="Hide again">
                            <ActionIcon size="xs" variant="subtle" color="gray" aria-label={`Hide ${f.path}`} onClick={() => setShown(({ [key]: _gone, ...rest }) => rest)}>
                              <IconEyeOff size={12} />
                            </ActionIcon>
                          </Tooltip>
                        ) : null}
                        {f.masked && !shown[key] ? (
                          <Tooltip label="Reveal (audited)">
                            <ActionIcon
                              size="xs"
                              variant="light"
                              color="orange"
                              aria-label={`Reveal ${f.path}`}
                              onClick={() =>
                                gate.gate(`${f.path} before and after`, (reason) =>
                                  api('inspector.reveal', { id: txId, stage: 'diff', path: key, ...(reason ? { reason } : {}) })
                                    .then((r) => r.diff && setShown((m) => ({ ...m, [key]: r.diff! })))
                                    .catch((e: Error) => setError(e)),
                                )
                              }
                            >
                              <IconEye size={12} />
                            </ActionIcon>
                          </Tooltip>
                        ) : null}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        </Card>
      ))}
    </Stack>
  )
}
