/**
 * The error queue's actions, used on the queue and in the inspector: a confirmation that says
 * exactly what will be sent where (from the engine's plan), discard with a required reason,
 * triage, and edit-and-reprocess with a preview of the result before anything is sent.
 */
import { Alert, Badge, Button, Code, Group, Modal, ScrollArea, SegmentedControl, Stack, Table, Text, Textarea, TextInput } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconAlertTriangle } from '@tabler/icons-react'
import { useEffect, useState } from 'react'
import type { BulkPlan, Preview, Selection } from '../../../../shared/api/errors-queue'
import { TRIAGE_STATES } from '../../../../shared/api/transactions'
import { api, type ApiError, useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useRevealGate } from '../../components/console/reveal-gate'
import { ChangesTable } from '../inspector/PayloadChanges'
import { diffPayload } from '../inspector/payload-diff'

export type BulkAction = 'reprocess' | 'discard' | 'triage'

const INVALIDATES = ['transactions.list', 'transactions.get', 'errors.groups', 'inspector.view', 'dashboard.summary', 'audit.list'] as const

function describe(sel: Selection): string {
  if (sel.kind === 'ids') return sel.ids.length === 1 ? `transaction #${sel.ids[0]}` : `${sel.ids.length} selected transactions`
  if (sel.kind === 'group') return 'every failure in this group'
  return 'every transaction the filter matches'
}

function usePlan(sel: Selection | null, action: BulkAction) {
  const [plan, setPlan] = useState<BulkPlan | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const key = JSON.stringify(sel)
  useEffect(() => {
    setPlan(null)
    setError(null)
    if (!sel) return
    let live = true
    api('errors.plan', { selection: sel, action })
      .then((p) => live && setPlan(p))
      .catch((e: unknown) => live && setError(e as ApiError))
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, action])
  return { plan, error }
}

function PlanSummary({ plan, action }: { plan: BulkPlan; action: BulkAction }) {
  return (
    <Stack gap="xs" data-testid="bulk-plan">
      <Text size="sm">
        <b>{plan.count.toLocaleString()}</b> transaction{plan.count === 1 ? '' : 's'}
        {plan.capped ? ` (the first ${plan.count.toLocaleString()}; run it again for the rest)` : ''}.
      </Text>
      <Table withTableBorder fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>From</Table.Th>
            <Table.Th>{action === 'reprocess' ? 'Sent to' : 'Destination'}</Table.Th>
            <Table.Th ta="right">Count</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {plan.targets.map((t) => (
            <Table.Tr key={`${t.connector}/${t.channel}/${t.direction}`}>
              <Table.Td>
                {t.connector} / {t.channel} ({t.direction === 'in' ? 'inbound' : 'outbound'})
              </Table.Td>
              <Table.Td>{t.destination}</Table.Td>
              <Table.Td ta="right">{t.count}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {action === 'reprocess' && plan.permanent > 0 ? (
        <Alert color="orange" icon={<IconAlertTriangle size={16} />} p="xs">
          {plan.permanent} of them failed permanently (validation, mapping, unknown codes). Reprocessing the same payload fails again unless the mapping or configuration was fixed; edit the message instead if the data is wrong.
        </Alert>
      ) : null}
      {plan.busy > 0 ? (
        <Text size="xs" c="dimmed">
          {plan.busy} are still waiting or being processed and will be skipped.
        </Text>
      ) : null}
    </Stack>
  )
}

function report(title: string, r: { done: number[]; skipped: { id: number; reason: string }[] }, verb: string): void {
  notifications.show({
    color: r.skipped.length && !r.done.length ? 'orange' : 'teal',
    title,
    message: `${r.done.length} ${verb}${r.skipped.length ? `, ${r.skipped.length} skipped (${[...new Set(r.skipped.map((s) => s.reason))].join(', ')})` : ''}.`,
  })
}

/** Confirms and runs a reprocess of a selection. */
export function ReprocessModal({ selection, onClose }: { selection: Selection | null; onClose(done?: boolean): void }) {
  const { plan, error } = usePlan(selection, 'reprocess')
  const run = useApiMutation('errors.reprocess', [...INVALIDATES])
  return (
    <Modal opened={selection !== null} onClose={() => onClose()} title="Reprocess" size="lg">
      {selection ? (
        <Stack>
          <Text size="sm">Reprocess {describe(selection)} from the stored payload (the latest edit, if any):</Text>
          <ErrorAlert error={error ?? run.error} />
          {plan ? <PlanSummary plan={plan} action="reprocess" /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => onClose()}>
              Cancel
            </Button>
            <Button
              disabled={!plan || plan.count === 0}
              loading={run.isPending}
              onClick={() =>
                plan &&
                run.mutate(
                  { selection, upToId: plan.upToId },
                  {
                    onSuccess: (r) => {
                      report('Reprocessing', r, 'queued')
                      onClose(true)
                    },
                  },
                )
              }
            >
              Reprocess {plan ? plan.count : ''}
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  )
}

/** Discards a selection; a reason is required and kept in the audit trail. */
export function DiscardModal({ selection, onClose }: { selection: Selection | null; onClose(done?: boolean): void }) {
  const { plan, error } = usePlan(selection, 'discard')
  const run = useApiMutation('errors.discard', [...INVALIDATES])
  const [reason, setReason] = useState('')
  useEffect(() => setReason(''), [selection])
  const ok = reason.trim().length >= 3
  return (
    <Modal opened={selection !== null} onClose={() => onClose()} title="Discard" size="lg">
      {selection ? (
        <Stack>
          <Text size="sm">Discard {describe(selection)}: they leave the error queue and are not processed. Nothing is deleted; they can be reprocessed later.</Text>
          <ErrorAlert error={error ?? run.error} />
          {plan ? <PlanSummary plan={plan} action="discard" /> : null}
          <Textarea label="Reason (required)" description="Kept with each transaction and in the audit trail." value={reason} onChange={(e) => setReason(e.currentTarget.value)} autosize minRows={2} data-autofocus />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => onClose()}>
              Cancel
            </Button>
            <Button
              color="red"
              disabled={!plan || plan.count === 0 || !ok}
              loading={run.isPending}
              onClick={() =>
                plan &&
                run.mutate(
                  { selection, upToId: plan.upToId, reason: reason.trim() },
                  {
                    onSuccess: (r) => {
                      report('Discarded', r, 'discarded')
                      onClose(true)
                    },
                  },
                )
              }
            >
              Discard {plan ? plan.count : ''}
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  )
}

/** Sets the triage state (and optionally a note) of a selection. */
export function TriageModal({ selection, onClose }: { selection: Selection | null; onClose(done?: boolean): void }) {
  const run = useApiMutation('errors.triage', [...INVALIDATES])
  const [state, setState] = useState<(typeof TRIAGE_STATES)[number]>('investigating')
  const [note, setNote] = useState('')
  useEffect(() => setNote(''), [selection])
  return (
    <Modal opened={selection !== null} onClose={() => onClose()} title="Triage">
      {selection ? (
        <Stack>
          <Text size="sm">Set the triage state of {describe(selection)}.</Text>
          <SegmentedControl aria-label="Triage state" data={[...TRIAGE_STATES]} value={state} onChange={(v) => setState(v as typeof state)} />
          <Textarea label="Note" description="Optional; kept with the transactions. Avoid patient details." value={note} onChange={(e) => setNote(e.currentTarget.value)} autosize minRows={2} />
          <ErrorAlert error={run.error} />
          <Group justify="flex-end">
            <Button
              loading={run.isPending}
              onClick={() =>
                run.mutate(
                  { selection, state, ...(note.trim() ? { note: note.trim() } : {}) },
                  {
                    onSuccess: (r) => {
                      report('Triage', r, `set to ${state}`)
                      onClose(true)
                    },
                  },
                )
              }
            >
              Set {state}
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  )
}

/**
 * Edit the payload and reprocess. Opening the editor reveals the message (an audited call); the
 * preview parses and maps the edit without sending anything; "Save & reprocess" stores it as a
 * new version (the original stays) and queues the transaction.
 */
export function EditReprocessModal({ txId, stage, onClose }: { txId: number | null; stage: 'raw' | 'current'; onClose(done?: boolean): void }) {
  const [text, setText] = useState<string | null>(null)
  const [original, setOriginal] = useState<string | null>(null)
  const [declined, setDeclined] = useState(false)
  const [loadError, setLoadError] = useState<ApiError | null>(null)
  const gate = useRevealGate()
  const { gate: ask, ready } = gate
  const [reason, setReason] = useState('')
  const [preview, setPreview] = useState<Preview | null>(null)
  const [previewed, setPreviewed] = useState<string | null>(null)
  const doPreview = useApiMutation('errors.preview')
  const save = useApiMutation('transactions.editAndReprocess', [...INVALIDATES])

  useEffect(() => {
    setText(null)
    setOriginal(null)
    setDeclined(false)
    setPreview(null)
    setPreviewed(null)
    setReason('')
    setLoadError(null)
    if (txId === null || !ready) return
    let live = true
    ask(
      'the whole message, to edit it',
      (why) =>
        void api('inspector.reveal', { id: txId, stage, path: '*', ...(why ? { reason: why } : {}) })
          .then((r) => live && (setText(r.text ?? ''), setOriginal(r.text ?? '')))
          .catch((e: unknown) => live && setLoadError(e as ApiError)),
      () => setDeclined(true),
    )
    return () => {
      live = false
    }
  }, [txId, stage, ask, ready])
  const changes = text !== null && original !== null ? diffPayload(original, text) : []

  const stale = preview !== null && previewed !== text
  return (
    <Modal opened={txId !== null} onClose={() => onClose()} title={`Edit and reprocess #${txId ?? ''}`} size="80rem">
      {gate.modal}
      <Stack>
        {declined ? <Text size="sm">The message was not revealed, so it cannot be edited here.</Text> : null}
        <Text size="xs" c="dimmed">
          Opening the editor revealed this message; that was recorded in the audit trail. The original payload is kept; the edit is stored as a new version.
        </Text>
        <ErrorAlert error={loadError} />
        {text !== null ? (
          <Textarea
            label="Payload"
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            autosize
            minRows={8}
            maxRows={20}
            // One segment a line, never wrapped mid-field: long segments scroll sideways.
            wrap="off"
            spellCheck={false}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12, whiteSpace: 'pre', overflowX: 'auto', overflowWrap: 'normal' } }}
            data-testid="edit-payload"
          />
        ) : null}
        {text !== null && changes.length > 0 ? (
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              Changes to the original ({changes.length})
            </Text>
            <ChangesTable changes={changes} />
          </Stack>
        ) : null}
        <Group>
          <Button variant="light" disabled={text === null} loading={doPreview.isPending} onClick={() => txId !== null && text !== null && doPreview.mutate({ id: txId, raw: text }, { onSuccess: (p) => (setPreview(p), setPreviewed(text)) })}>
            Preview
          </Button>
          {stale ? (
            <Badge color="orange" variant="light">
              edited since the preview
            </Badge>
          ) : null}
        </Group>
        <ErrorAlert error={doPreview.error} />
        {preview ? <PreviewResult preview={preview} /> : null}
        <TextInput label="Reason for the edit (required)" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
        <ErrorAlert error={save.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => onClose()}>
            Cancel
          </Button>
          <Button
            disabled={text === null || !reason.trim() || !preview || stale || preview.error !== null}
            loading={save.isPending}
            onClick={() =>
              txId !== null &&
              text !== null &&
              save.mutate(
                { id: txId, raw: text, reason: reason.trim() },
                {
                  onSuccess: (r) => {
                    notifications.show({ color: 'teal', title: 'Queued', message: `Transaction #${r.id} will be processed with version ${r.payloadVersion} of its payload.` })
                    onClose(true)
                  },
                },
              )
            }
          >
            Save & reprocess
          </Button>
        </Group>
        {preview?.error ? (
          <Text size="xs" c="dimmed">
            Fix the payload until the preview passes; then save.
          </Text>
        ) : null}
      </Stack>
    </Modal>
  )
}

function PreviewResult({ preview }: { preview: Preview }) {
  return (
    <Stack gap="xs" data-testid="edit-preview">
      <Group gap="xs">
        {preview.steps.map((s, i) => (
          <Badge key={i} color={s.outcome === 'ok' ? 'teal' : s.outcome === 'filtered' ? 'yellow' : 'red'} variant="light">
            {s.step}: {s.outcome} ({Math.round(s.durationMs * 10) / 10} ms)
          </Badge>
        ))}
      </Group>
      {preview.error ? (
        <Alert color="red" title="The edit would still fail" data-testid="preview-error">
          {preview.error.message} ({preview.error.code})
        </Alert>
      ) : preview.filteredBy ? (
        <Alert color="yellow">Filtered by rule {preview.filteredBy}: nothing would be applied.</Alert>
      ) : (
        <Alert color="teal" title="Mapped result" data-testid="preview-ok">
          <ScrollArea.Autosize mah={260}>
            <Code block>{JSON.stringify(preview.mapped, null, 2)}</Code>
          </ScrollArea.Autosize>
        </Alert>
      )}
    </Stack>
  )
}
