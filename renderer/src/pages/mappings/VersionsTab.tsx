import { Alert, Badge, Button, Code, FileButton, Group, Modal, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { IconArrowBackUp, IconDownload, IconGitCompare, IconUpload } from '@tabler/icons-react'
import { useState } from 'react'
import type { VersionRef } from '../../../../shared/api/mappings'
import type { MappingSetDiff } from '../../../../shared/mapping'
import { api, useApi, useApiMutation, type ApiError } from '../../api/client'
import { useAuth } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Time } from '../../app/time-format'
import { downloadText } from '../../components/download'
import { showValue } from './bits'
import { chainSummary } from './TransformEditor'

const refValue = (r: VersionRef): string => String(r)
const parseRef = (v: string): VersionRef => (v === 'draft' || v === 'live' ? v : Number(v))

/** Published versions: compare any two field by field, roll back in one action, export and import as JSON. */
export function VersionsTab({ practiceId, setKey, hasDraft, onChanged }: { practiceId: string; setKey: string; hasDraft: boolean; onChanged(): void }) {
  const versions = useApi('mappings.versions', { practiceId, key: setKey })
  const { can } = useAuth()
  const mayPublish = can('mapping.publish', practiceId)
  const list = versions.data ?? []
  const live = list.find((v) => v.live)?.version ?? 0
  const [from, setFrom] = useState<VersionRef | null>(null)
  const [to, setTo] = useState<VersionRef | null>(null)
  const [rollingBack, setRollingBack] = useState<number | null>(null)
  const [importIssues, setImportIssues] = useState<{ line: number | null; column: number | null; path: string; message: string }[]>([])
  const [importError, setImportError] = useState<ApiError | null>(null)
  const options = [
    ...(hasDraft ? [{ value: 'draft', label: 'Draft (not live)' }] : []),
    ...list.map((v) => ({ value: String(v.version), label: `Version ${v.version}${v.live ? ' (live)' : ''} · ${v.comment.slice(0, 40)}` })),
    { value: '0', label: 'Shipped default' },
  ]
  const effFrom = from ?? (list[1] ? list[1].version : 0)
  const effTo = to ?? (list[0] ? list[0].version : hasDraft ? 'draft' : 0)
  const diff = useApi('mappings.diff', { practiceId, key: setKey, from: effFrom, to: effTo }, { enabled: list.length > 0 || hasDraft })

  const exportJson = async (version: VersionRef, content: 'override' | 'effective') => {
    const r = await api('mappings.export', { practiceId, key: setKey, version, content })
    downloadText(r.fileName, r.json, 'application/json')
  }
  const importJson = async (file: File | null) => {
    if (!file) return
    setImportIssues([])
    setImportError(null)
    try {
      const r = await api('mappings.import', { practiceId, key: setKey, json: await file.text() })
      setImportIssues(r.issues)
      if (r.ok) onChanged()
    } catch (e) {
      setImportError(e as ApiError)
    }
  }

  return (
    <Stack data-testid="versions-tab">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Every publish is a version with its author, time and comment. The newest version is live; rolling back publishes a copy of an older one, so history stays
          linear. All of it is in the audit trail.
        </Text>
        <Group gap="xs">
          <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={() => void exportJson(hasDraft ? 'draft' : 'live', 'override')}>
            Export override
          </Button>
          <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={() => void exportJson(hasDraft ? 'draft' : 'live', 'effective')}>
            Export full set
          </Button>
          {can('mapping.edit', practiceId) ? (
            <FileButton onChange={(f) => void importJson(f)} accept="application/json,.json" inputProps={{ 'data-testid': 'mapping-import-input' } as never}>
              {(props) => (
                <Button size="xs" variant="default" leftSection={<IconUpload size={14} />} {...props}>
                  Import into draft…
                </Button>
              )}
            </FileButton>
          ) : null}
        </Group>
      </Group>
      <ErrorAlert error={versions.error ?? importError} />
      {importIssues.length ? (
        <Alert color={importIssues.every((i) => i.message.startsWith('note:')) ? 'blue' : 'red'} title="Import" withCloseButton onClose={() => setImportIssues([])} data-testid="import-issues">
          {importIssues.map((i, n) => (
            <Text key={n} size="sm">
              {i.line !== null ? `line ${i.line}, column ${i.column}: ` : ''}
              {i.path ? <code>{i.path}</code> : null} {i.message}
            </Text>
          ))}
        </Alert>
      ) : null}
      <Table data-testid="versions-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>Published</Table.Th>
            <Table.Th>By</Table.Th>
            <Table.Th>Comment</Table.Th>
            <Table.Th>Changes vs shipped</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.map((v) => (
            <Table.Tr key={v.version} data-testid={`version-row-${v.version}`}>
              <Table.Td>
                <Group gap={4}>
                  <Text fw={600}>{v.version}</Text>
                  {v.live ? <Badge color="teal">live</Badge> : null}
                  {v.rolledBackFrom !== null ? <Badge variant="outline">restores {v.rolledBackFrom === 0 ? 'shipped' : `v${v.rolledBackFrom}`}</Badge> : null}
                </Group>
              </Table.Td>
              <Table.Td><Time value={v.createdAt} /></Table.Td>
              <Table.Td>
                <Text size="sm">{v.author}</Text>
              </Table.Td>
              <Table.Td>{v.comment}</Table.Td>
              <Table.Td>
                <Text size="xs">
                  {v.changes.overridden} overridden · {v.changes.added} added · {v.changes.removed} removed · {v.changes.codeMaps} code maps
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4} justify="flex-end" wrap="nowrap">
                  <Button size="xs" variant="subtle" onClick={() => {
                      setFrom(v.version === 1 ? 0 : v.version - 1)
                      setTo(v.version)
                    }}>
                    Changes
                  </Button>
                  {!v.live && mayPublish ? (
                    <Button size="xs" variant="light" leftSection={<IconArrowBackUp size={14} />} onClick={() => setRollingBack(v.version)} aria-label={`Roll back to version ${v.version}`}>
                      Roll back
                    </Button>
                  ) : null}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
          {list.length && mayPublish ? (
            <Table.Tr>
              <Table.Td colSpan={5}>
                <Text size="sm" c="dimmed">
                  Shipped default (version 0)
                </Text>
              </Table.Td>
              <Table.Td>
                <Group justify="flex-end">
                  <Button size="xs" variant="subtle" onClick={() => setRollingBack(0)} aria-label="Roll back to the shipped default">
                    Back to shipped
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ) : null}
        </Table.Tbody>
      </Table>
      {list.length === 0 ? <Alert color="gray">Nothing published yet: the practice runs the shipped default.</Alert> : null}
      {list.length || hasDraft ? (
        <Paper withBorder p="sm">
          <Group align="flex-end" mb="sm">
            <IconGitCompare size={18} />
            <Select label="Compare" data={options} value={refValue(effFrom)} onChange={(v) => v && setFrom(parseRef(v))} w={300} allowDeselect={false} data-testid="diff-from" />
            <Select label="with" data={options} value={refValue(effTo)} onChange={(v) => v && setTo(parseRef(v))} w={300} allowDeselect={false} data-testid="diff-to" />
          </Group>
          <ErrorAlert error={diff.error} />
          {diff.data ? <DiffView from={diff.data.from} to={diff.data.to} diff={diff.data.diff} /> : null}
        </Paper>
      ) : null}
      <RollbackModal
        practiceId={practiceId}
        setKey={setKey}
        version={rollingBack}
        live={live}
        onClose={() => setRollingBack(null)}
        onDone={() => {
          setRollingBack(null)
          setFrom(null)
          setTo(null)
          onChanged()
        }}
      />
    </Stack>
  )
}

function RollbackModal({ practiceId, setKey, version, live, onClose, onDone }: { practiceId: string; setKey: string; version: number | null; live: number; onClose(): void; onDone(): void }) {
  const [comment, setComment] = useState('')
  const rb = useApiMutation('mappings.rollback', ['mappings.versions', 'mappings.sets', 'mappings.diff', 'mappings.get'])
  return (
    <Modal opened={version !== null} onClose={onClose} title={version === 0 ? 'Roll back to the shipped default' : `Roll back to version ${version}`}>
      <Stack>
        <Text size="sm">
          Publishes a copy of {version === 0 ? 'the shipped default' : `version ${version}`} as version {live + 1}; it is live at once. Version {live} stays in the history.
        </Text>
        <TextInput label="Comment" placeholder={version === 0 ? 'Roll back to the shipped default' : `Roll back to version ${version}`} value={comment} onChange={(e) => setComment(e.currentTarget.value)} />
        <ErrorAlert error={rb.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            color="orange"
            loading={rb.isPending}
            onClick={() => version !== null && rb.mutate({ practiceId, key: setKey, version, ...(comment.trim() ? { comment: comment.trim() } : {}) }, { onSuccess: onDone })}
          >
            Roll back
          </Button>
        </Group>
      </Stack>
    </Modal>
  )
}

const CHANGE_COLOR = { added: 'teal', removed: 'red', changed: 'blue' } as const

export function DiffView({ from, to, diff }: { from: string; to: string; diff: MappingSetDiff }) {
  if (diff.identical) {
    return (
      <Alert color="gray" data-testid="diff-identical">
        {from} and {to} are identical.
      </Alert>
    )
  }
  return (
    <Stack gap="sm" data-testid="diff-view">
      <Text size="sm">
        From <b>{from}</b> to <b>{to}</b>
      </Text>
      {diff.meta.length ? (
        <Stack gap={2}>
          {diff.meta.map((m) => (
            <Text key={m.key} size="sm">
              <Code>{m.key}</Code>: {showValue(m.before)} → {showValue(m.after)}
            </Text>
          ))}
        </Stack>
      ) : null}
      {diff.fields.length ? (
        <>
          <Title order={5}>Fields</Title>
          <Table verticalSpacing={4} layout="fixed" data-testid="diff-fields">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w="14%">Row</Table.Th>
                <Table.Th w="12%">Change</Table.Th>
                <Table.Th w="37%">Before</Table.Th>
                <Table.Th w="37%">After</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {diff.fields.map((f) => (
                <Table.Tr key={f.id} data-testid={`diff-field-${f.id}`}>
                  <Table.Td ff="monospace">{f.id}</Table.Td>
                  <Table.Td>
                    <Badge color={CHANGE_COLOR[f.change]} variant="light">
                      {f.change}
                    </Badge>
                    {f.changedKeys?.length ? (
                      <Text size="xs" c="dimmed">
                        {f.changedKeys.join(', ')}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{f.before ? <FieldSummary f={f.before} other={f.after} keys={f.changedKeys} /> : '—'}</Table.Td>
                  <Table.Td>{f.after ? <FieldSummary f={f.after} other={f.before} keys={f.changedKeys} /> : '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      ) : null}
      {diff.fieldOrderChanged ? <Text size="sm">The order of the rows changed.</Text> : null}
      {diff.codeMaps.length ? (
        <>
          <Title order={5}>Code maps</Title>
          {diff.codeMaps.map((m) => (
            <Paper key={m.name} withBorder p="xs" data-testid={`diff-codemap-${m.name}`}>
              <Group gap="xs" mb={4}>
                <Text ff="monospace" fw={600}>
                  {m.name}
                </Text>
                <Badge color={CHANGE_COLOR[m.change]} variant="light">
                  {m.change}
                </Badge>
              </Group>
              {m.settings ? (
                <Text size="xs">
                  settings: {JSON.stringify(m.settings.before ?? {})} → {JSON.stringify(m.settings.after ?? {})}
                </Text>
              ) : null}
              {m.entries.map((e) => (
                <Text key={e.from} size="sm" ff="monospace">
                  <Badge size="xs" color={CHANGE_COLOR[e.change]} variant="light" mr={6}>
                    {e.change}
                  </Badge>
                  {e.from}: {e.before ? e.before.to : '∅'} → {e.after ? e.after.to : '∅'}
                </Text>
              ))}
            </Paper>
          ))}
        </>
      ) : null}
      {diff.customFields.length ? (
        <>
          <Title order={5}>Custom fields</Title>
          {diff.customFields.map((c) => (
            <Text key={c.key} size="sm">
              <Badge size="xs" color={CHANGE_COLOR[c.change]} variant="light" mr={6}>
                {c.change}
              </Badge>
              custom.{c.key}
            </Text>
          ))}
        </>
      ) : null}
      {diff.tests.length ? (
        <>
          <Title order={5}>Tests</Title>
          {diff.tests.map((t) => (
            <Text key={t.name} size="sm">
              <Badge size="xs" color={CHANGE_COLOR[t.change]} variant="light" mr={6}>
                {t.change}
              </Badge>
              {t.name}
            </Text>
          ))}
        </>
      ) : null}
    </Stack>
  )
}

/** One row of a diff: its source, chain and target, with the parts that changed against `other` marked. */
function FieldSummary({ f, other, keys }: { f: NonNullable<MappingSetDiff['fields'][number]['before']>; other?: MappingSetDiff['fields'][number]['before']; keys?: string[] }) {
  const hi = (k: string) => (keys?.includes(k) ? 700 : 400)
  const lines = (x?: typeof f) => [
    ...(x?.transforms ?? []).map((t, i) => `${i + 1}. ${JSON.stringify(t)}`),
    ...(x?.validations ?? []).map((v) => `✓ ${JSON.stringify(v)}`),
  ]
  const mine = lines(f)
  const theirs = new Set(lines(other))
  return (
    <Stack gap={2}>
      <Text size="xs" ff="monospace" fw={hi('source')}>
        {Array.isArray(f.source) ? f.source.join(' | ') : (f.source ?? '—')}
      </Text>
      {keys?.includes('transforms') || keys?.includes('validations') ? (
        mine.map((l, i) => (
          <Text key={i} size="xs" ff="monospace" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} bg={other && !theirs.has(l) ? 'var(--mantine-color-yellow-light)' : undefined}>
            {l}
          </Text>
        ))
      ) : (
        <Text size="xs">{chainSummary(f.transforms)}</Text>
      )}
      <Text size="xs" ff="monospace" fw={hi('target')}>
        → {f.target}
        {f.required ? ' (required)' : ''}
      </Text>
    </Stack>
  )
}
