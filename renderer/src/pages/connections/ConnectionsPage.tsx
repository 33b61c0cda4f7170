import { Alert, Badge, Button, Card, Code, Group, Menu, Modal, Switch, Table, Text } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconChevronDown, IconPencil, IconPlayerPlay, IconPlus, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import type { Connection, ConnectivityResult, SECRET_FIELDS } from '../../../../shared/api/connections'
import type { InputOf } from '../../../../shared/api'
import { api, ApiError, useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { AthenaConnectionForm, type AthenaFormValues } from './AthenaConnectionForm'
import { AthenaSyncCard } from './AthenaSyncCard'
import { ConnectivitySteps } from './ConnectivitySteps'
import { FhirCapabilities } from './FhirCapabilities'
import { FhirConnectionForm, type FhirFormValues } from './FhirConnectionForm'
import { Hl7DestinationsCard } from './Hl7DestinationsCard'
import { Hl7InboundForm } from './Hl7InboundForm'
import { Hl7OutboundForm } from './Hl7OutboundForm'
import { Hl7ListenersCard } from './Hl7ListenersCard'
import { FileJobsCard } from './FileJobsCard'
import { LocationIdentity } from './LocationIdentity'
import { SftpLocationForm } from './SftpLocationForm'
import { FtpsLocationForm } from './FtpsLocationForm'
import { FolderLocationForm } from './FolderLocationForm'

type Kind = Connection['kind']
type SecretField = (typeof SECRET_FIELDS)[number]
type Editing = { kind: Kind; conn?: Connection } | null

const KIND_LABEL: Record<Kind, string> = { 'athena-rest': 'athenaNet REST', 'hl7-inbound': 'HL7 inbound', 'hl7-outbound': 'HL7 outbound', 'fhir-r4': 'FHIR R4', sftp: 'SFTP location', ftps: 'FTPS location', folder: 'Folder location' }

/** Where a connection points; a listener configured with port 0 shows the port the OS gave it while it runs. */
function target(c: Connection, livePort?: number): string {
  const cfg = c.config as Record<string, unknown>
  if (c.kind === 'athena-rest') return typeof cfg.baseUrl === 'string' && cfg.baseUrl ? String(cfg.baseUrl) : String(cfg.environment)
  if (c.kind === 'fhir-r4') return typeof cfg.baseUrl === 'string' && cfg.baseUrl ? String(cfg.baseUrl) : `FHIR ${String(cfg.preset ?? 'sandbox')}`
  if (c.kind === 'folder') return String(cfg.path ?? '')
  if (c.kind === 'hl7-inbound' && cfg.port === 0) return `${String(cfg.host ?? '')}:${livePort ?? 0} (${livePort ? 'OS-assigned' : 'OS-assigned when running'})`
  return `${String(cfg.host ?? '')}:${String(cfg.port ?? '')}`
}

/** Connections of the selected practice: athenaNet credentials (write-only secret), HL7 interfaces with their live state, enable/disable, connectivity tests. */
export function ConnectionsPage() {
  const { practiceId, practice } = usePractice()
  const list = useApi('connections.list', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId) })
  const invalidates = ['connections.list', 'athena.usage', 'athena.syncStatus'] as const
  const create = useApiMutation('connections.create', [...invalidates])
  const update = useApiMutation('connections.update', [...invalidates])
  const remove = useApiMutation('connections.delete', [...invalidates])
  const clearSecret = useApiMutation('connections.clearSecret', ['connections.list'])
  const test = useApiMutation('connections.test', ['audit.list', 'connections.lastTests', 'fhir.capabilities'])
  const mayCreate = useMayCall('connections.create', practiceId)
  const mayUpdate = useMayCall('connections.update', practiceId)
  const mayDelete = useMayCall('connections.delete', practiceId)
  const mayTest = useMayCall('connections.test', practiceId)
  const [editing, setEditing] = useState<Editing>(null)
  const [busy, setBusy] = useState(false)
  const [saveError, setSaveError] = useState<ApiError | null>(null)
  // The last result of each connection, wherever it was run (here, the Connectivity page, the API).
  const last = useApi('connections.lastTests', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId) })
  const results: Record<string, ConnectivityResult> = Object.fromEntries((last.data ?? []).map((r) => [r.connectionId, r]))
  const [testing, setTesting] = useState<string | null>(null)
  const conns = list.data ?? []
  const listeners = useApi('hl7.listeners', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId) && conns.some((c) => c.kind === 'hl7-inbound'), refetchInterval: 5000 })
  const livePort = (id: string) => listeners.data?.find((l) => l.connectionId === id && l.state === 'listening')?.port
  const hasAthena = conns.some((c) => c.kind === 'athena-rest' && c.enabled)
  const hasInbound = conns.some((c) => c.kind === 'hl7-inbound')
  const hasOutbound = conns.some((c) => c.kind === 'hl7-outbound')
  const locations = conns.filter((c) => c.kind === 'sftp' || c.kind === 'ftps' || c.kind === 'folder')

  const open = (e: Editing) => {
    create.reset()
    update.reset()
    setSaveError(null)
    setEditing(e)
  }

  const save = async (v: { name: string; enabled: boolean; config: Record<string, unknown>; secret?: string; secrets?: Partial<Record<SecretField, string>> }) => {
    if (!practiceId || !editing) return
    setBusy(true)
    setSaveError(null)
    try {
      // Keys this form does not show are kept as they were.
      const body = { kind: editing.kind, name: v.name, enabled: v.enabled, config: { ...(editing.conn?.config ?? {}), ...v.config } }
      const saved = editing.conn
        ? await update.mutateAsync({ id: editing.conn.id, ...body } as InputOf<'connections.update'>)
        : await create.mutateAsync({ practiceId, ...body } as InputOf<'connections.create'>)
      if (v.secret) await api('connections.setSecret', { id: saved.id, field: 'client_secret', value: v.secret })
      for (const [field, value] of Object.entries(v.secrets ?? {})) if (value) await api('connections.setSecret', { id: saved.id, field: field as SecretField, value })
      await list.refetch()
      notifications.show({ color: 'teal', title: editing.conn ? 'Connection saved' : 'Connection created', message: saved.name })
      setEditing(null)
    } catch (e) {
      setSaveError(e instanceof ApiError ? e : new ApiError({ code: 'internal', message: (e as Error).message, retryable: false }))
    } finally {
      setBusy(false)
    }
  }

  const toggle = (c: Connection, enabled: boolean) => update.mutate({ id: c.id, kind: c.kind, name: c.name, enabled, config: c.config } as InputOf<'connections.update'>)

  const runTest = (c: Connection) => {
    setTesting(c.id)
    test.mutate({ id: c.id }, { onSettled: () => setTesting(null) })
  }

  return (
    <>
      <PageHeader
        title="Connections"
        description={`athenaNet credentials, HL7 interfaces, FHIR endpoints and file locations (with their file jobs) of ${practice?.name ?? 'this practice'}. Secrets go to the OS keychain and are never shown again.`}
        actions={
          mayCreate ? (
          <Menu position="bottom-end">
            <Menu.Target>
              <Button leftSection={<IconPlus size={16} />} rightSection={<IconChevronDown size={14} />} disabled={!practiceId}>
                New connection
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item onClick={() => open({ kind: 'athena-rest' })}>athenaNet REST</Menu.Item>
              <Menu.Item onClick={() => open({ kind: 'hl7-inbound' })}>HL7 inbound listener</Menu.Item>
              <Menu.Item onClick={() => open({ kind: 'hl7-outbound' })}>HL7 outbound destination</Menu.Item>
              <Menu.Item onClick={() => open({ kind: 'fhir-r4' })}>FHIR R4 endpoint</Menu.Item>
              <Menu.Item onClick={() => open({ kind: 'sftp' })}>SFTP location</Menu.Item>
              <Menu.Item onClick={() => open({ kind: 'ftps' })}>FTPS location</Menu.Item>
              <Menu.Item onClick={() => open({ kind: 'folder' })}>Folder location</Menu.Item>
            </Menu.Dropdown>
          </Menu>
          ) : null
        }
      />
      <ErrorAlert error={list.error ?? update.error ?? remove.error ?? test.error} />
      {list.data && conns.length === 0 ? (
        <Alert color="gray" data-testid="no-connections">
          No connections yet. Add an athenaNet connection with the client id and secret from athena's developer portal.
        </Alert>
      ) : null}
      {conns.length ? (
        <Table striped highlightOnHover data-testid="connections-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th>Credentials</Table.Th>
              <Table.Th>Enabled</Table.Th>
              <Table.Th>Last test</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {conns.map((c) => {
              const r = results[c.id]
              return (
                <Table.Tr key={c.id} data-testid={`connection-row-${c.name}`}>
                  <Table.Td>
                    <Text fw={500}>{c.name}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light">{KIND_LABEL[c.kind]}</Badge>
                  </Table.Td>
                  <Table.Td>
                    <Code data-testid="connection-target">{target(c, livePort(c.id))}</Code>
                  </Table.Td>
                  <Table.Td>
                    {c.kind === 'athena-rest' || c.kind === 'fhir-r4' ? (
                      <Group gap={6}>
                        <Text size="sm">{String((c.config as Record<string, unknown>).clientId ?? '—')}</Text>
                        {(c.config as Record<string, unknown>).auth === 'private_key_jwt' ? (
                          <Badge size="sm" variant="light" color={c.secrets.private_key ? 'teal' : 'orange'} data-testid="secret-badge">
                            key {c.secrets.private_key ? 'set' : 'not set'}
                          </Badge>
                        ) : (
                          <Badge size="sm" variant="light" color={c.secrets.client_secret ? 'teal' : 'orange'} data-testid="secret-badge">
                            secret {c.secrets.client_secret ? 'set' : 'not set'}
                          </Badge>
                        )}
                      </Group>
                    ) : c.kind === 'sftp' || c.kind === 'ftps' ? (
                      <LocationIdentity conn={c} mayManage={mayUpdate} />
                    ) : (
                      <Text size="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {mayUpdate ? (
                      <Switch checked={c.enabled} onChange={(e) => toggle(c, e.currentTarget.checked)} aria-label={`Enable ${c.name}`} />
                    ) : (
                      <Badge variant="light" color={c.enabled ? 'teal' : 'gray'} data-testid="connection-enabled">
                        {c.enabled ? 'enabled' : 'disabled'}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{r ? <Badge color={r.ok ? 'teal' : 'red'}>{r.ok ? 'ok' : 'failed'}</Badge> : <Text size="sm" c="dimmed">—</Text>}</Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      {mayTest ? (
                      <Button size="xs" variant="light" leftSection={<IconPlayerPlay size={14} />} loading={testing === c.id} disabled={!c.enabled || testing !== null} onClick={() => runTest(c)} aria-label={`Test ${c.name}`}>
                        Test
                      </Button>
                      ) : null}
                      {mayUpdate ? (
                      <Button size="xs" variant="subtle" leftSection={<IconPencil size={14} />} onClick={() => open({ kind: c.kind, conn: c })} aria-label={`Edit ${c.name}`}>
                        Edit
                      </Button>
                      ) : null}
                      {mayDelete ? (
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        leftSection={<IconTrash size={14} />}
                        aria-label={`Delete ${c.name}`}
                        onClick={() => {
                          if (window.confirm(`Delete connection "${c.name}" and its stored secret?`)) remove.mutate({ id: c.id })
                        }}
                      >
                        Delete
                      </Button>
                      ) : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              )
            })}
          </Table.Tbody>
        </Table>
      ) : null}

      {conns
        .filter((c) => results[c.id])
        .map((c) => (
          <Card withBorder mt="md" key={c.id} data-testid={`test-result-${c.name}`}>
            <Text fw={600} mb={4}>
              Connectivity test: {c.name}
            </Text>
            <ConnectivitySteps result={results[c.id]!} />
            {c.kind === 'fhir-r4' && practiceId && results[c.id]!.steps.some((s) => s.step === 'metadata' && s.ok) ? <FhirCapabilities practiceId={practiceId} connectionId={c.id} /> : null}
          </Card>
        ))}

      {practiceId && hasAthena ? <AthenaSyncCard practiceId={practiceId} /> : null}
      {practiceId && hasInbound ? <Hl7ListenersCard practiceId={practiceId} /> : null}
      {practiceId && hasOutbound ? <Hl7DestinationsCard practiceId={practiceId} /> : null}
      {practiceId && locations.length ? <FileJobsCard practiceId={practiceId} locations={locations} /> : null}

      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing ? `${editing.conn ? 'Edit' : 'New'} ${KIND_LABEL[editing.kind]} connection` : ''}
        size="xl"
      >
        {editing?.kind === 'athena-rest' ? (
          <AthenaConnectionForm
            key={editing.conn?.id ?? 'new'}
            initial={editing.conn}
            onSubmit={(v: AthenaFormValues) => void save(v)}
            onCancel={() => setEditing(null)}
            onClearSecret={
              editing.conn
                ? () =>
                    clearSecret.mutate(
                      { id: editing.conn!.id, field: 'client_secret' },
                      { onSuccess: () => void list.refetch().then((r) => setEditing({ kind: 'athena-rest', conn: r.data?.find((x) => x.id === editing.conn!.id) })) },
                    )
                : undefined
            }
            error={saveError}
            busy={busy}
          />
        ) : editing?.kind === 'fhir-r4' ? (
          <FhirConnectionForm
            key={editing.conn?.id ?? 'new'}
            initial={editing.conn}
            onSubmit={(v: FhirFormValues) => void save(v)}
            onCancel={() => setEditing(null)}
            onClearSecret={
              editing.conn
                ? (field) =>
                    clearSecret.mutate(
                      { id: editing.conn!.id, field },
                      { onSuccess: () => void list.refetch().then((r) => setEditing({ kind: 'fhir-r4', conn: r.data?.find((x) => x.id === editing.conn!.id) })) },
                    )
                : undefined
            }
            error={saveError}
            busy={busy}
          />
        ) : editing?.kind === 'sftp' ? (
          <SftpLocationForm key={editing.conn?.id ?? 'new'} initial={editing.conn} onSubmit={(v) => void save(v)} onCancel={() => setEditing(null)} error={saveError} busy={busy} />
        ) : editing?.kind === 'hl7-inbound' ? (
          <Hl7InboundForm key={editing.conn?.id ?? 'new'} initial={editing.conn} onSubmit={(v) => void save(v)} onCancel={() => setEditing(null)} error={saveError} busy={busy} />
        ) : editing?.kind === 'ftps' ? (
          <FtpsLocationForm key={editing.conn?.id ?? 'new'} initial={editing.conn} onSubmit={(v) => void save(v)} onCancel={() => setEditing(null)} error={saveError} busy={busy} />
        ) : editing?.kind === 'folder' ? (
          <FolderLocationForm key={editing.conn?.id ?? 'new'} initial={editing.conn} onSubmit={(v) => void save(v)} onCancel={() => setEditing(null)} error={saveError} busy={busy} />
        ) : editing?.kind === 'hl7-outbound' ? (
          <Hl7OutboundForm key={editing.conn?.id ?? 'new'} initial={editing.conn} onSubmit={(v) => void save(v)} onCancel={() => setEditing(null)} error={saveError} busy={busy} />
        ) : null}
      </Modal>
    </>
  )
}
