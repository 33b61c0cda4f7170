import { Accordion, Badge, Button, Group, PasswordInput, Select, SimpleGrid, Stack, Switch, Text, TextInput } from '@mantine/core'
import { useState } from 'react'
import type { Connection } from '../../../../shared/api/connections'
import { ApiError } from '../../api/client'
import { ConnectionFormFooter, NumField, type NumSpec } from './ConnectionFormParts'

export interface AthenaFormValues {
  name: string
  enabled: boolean
  config: Record<string, unknown>
  /** Typed secret (write-only); empty = keep what is stored. */
  secret: string
}

/** Client-side limits; the FHIR form shows the same ones (one client stack, one budget). */
export const LIMITS: NumSpec[] = [
  { key: 'qps', label: 'Requests per second', description: 'Client-side limit (athena does not publish its own)', min: 0.1, max: 1000, step: 1 },
  { key: 'burst', label: 'Burst', description: 'Requests allowed at once above the rate', min: 1, max: 1000 },
  { key: 'dailyQuota', label: 'Daily quota', description: 'Calls per UTC day', min: 1 },
  { key: 'tokenRequestsPerMinute', label: 'Token requests / minute', description: '5 in preview, 50 in production', min: 1, max: 1000 },
  { key: 'timeoutMs', label: 'Timeout (ms)', min: 1000 },
  { key: 'maxRetries', label: 'Retries per call', min: 0, max: 10 },
]

const ADVANCED: NumSpec[] = [
  { key: 'backoffBaseMs', label: 'Backoff base (ms)', min: 1 },
  { key: 'backoffCapMs', label: 'Backoff cap (ms)', min: 1 },
  { key: 'circuitFailureThreshold', label: 'Circuit: failures to open', min: 1 },
  { key: 'circuitOpenMs', label: 'Circuit: open for (ms)', min: 100 },
  { key: 'pageSize', label: 'Page size', min: 1, max: 10000 },
  { key: 'syncConcurrency', label: 'Departments in parallel', min: 1, max: 16 },
  { key: 'syncIntervalSeconds', label: 'Incremental sync every (s, 0 = manual)', min: 0 },
  { key: 'feedReplayMinutes', label: 'Feed replay window (min)', min: 1 },
  { key: 'appointmentWindowPastDays', label: 'Appointments: days back', min: 0 },
  { key: 'appointmentWindowFutureDays', label: 'Appointments: days ahead', min: 0 },
]

const DEFAULTS: Record<string, unknown> = {
  environment: 'preview',
  baseUrl: null,
  clientId: '',
  qps: 5,
  burst: 1,
  dailyQuota: 50000,
  tokenRequestsPerMinute: 5,
  timeoutMs: 30000,
  maxRetries: 4,
}

/** Create or edit an athenaNet REST connection. The client secret is write-only: the form only shows whether one is set. */
export function AthenaConnectionForm({
  initial,
  onSubmit,
  onCancel,
  onClearSecret,
  error,
  busy,
}: {
  initial?: Connection
  onSubmit(v: AthenaFormValues): void
  onCancel(): void
  onClearSecret?(): void
  error: ApiError | null
  busy: boolean
}) {
  const [name, setName] = useState(initial?.name ?? 'athena')
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [config, setConfig] = useState<Record<string, unknown>>({ ...DEFAULTS, ...(initial?.config ?? {}) })
  const [secret, setSecret] = useState('')
  const fe = error instanceof ApiError ? error.fieldErrors() : {}
  const set = (k: string, v: unknown) => setConfig((c) => ({ ...c, [k]: v }))
  const secretSet = initial?.secrets.client_secret === true
  const field = (n: NumSpec) => <NumField key={n.key} n={n} value={config[n.key]} error={fe[`config.${n.key}`]} onChange={(v) => set(n.key, v)} />

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        const clean = { ...config, baseUrl: typeof config.baseUrl === 'string' && config.baseUrl.trim() !== '' ? config.baseUrl.trim() : null, clientId: typeof config.clientId === 'string' && config.clientId.trim() !== '' ? config.clientId.trim() : null }
        onSubmit({ name, enabled, config: clean, secret })
      }}
    >
      <Stack>
        <Group grow align="flex-start">
          <TextInput label="Name" required value={name} error={fe.name} onChange={(e) => setName(e.currentTarget.value)} description="lowercase, digits and hyphens" />
          <Select
            label="Environment"
            data={[
              { value: 'sandbox', label: 'Local sandbox (in-process)' },
              { value: 'preview', label: 'Preview (api.preview.platform.athenahealth.com)' },
              { value: 'production', label: 'Production (api.platform.athenahealth.com)' },
            ]}
            value={String(config.environment)}
            allowDeselect={false}
            onChange={(v) => v && set('environment', v)}
          />
        </Group>
        <TextInput
          label="Base URL"
          description="Optional: overrides the environment's host (a standalone sandbox, a proxy)"
          placeholder="https://…"
          value={typeof config.baseUrl === 'string' ? config.baseUrl : ''}
          error={fe['config.baseUrl']}
          onChange={(e) => set('baseUrl', e.currentTarget.value)}
        />
        <Group grow align="flex-start">
          <TextInput label="Client id" value={typeof config.clientId === 'string' ? config.clientId : ''} error={fe['config.clientId']} onChange={(e) => set('clientId', e.currentTarget.value)} autoComplete="off" />
          <PasswordInput
            label={
              <Group gap={6} component="span">
                Client secret
                <Badge size="xs" color={secretSet ? 'teal' : 'gray'} variant="light" data-testid="secret-state">
                  {secretSet ? 'set' : 'not set'}
                </Badge>
              </Group>
            }
            description={secretSet ? 'Leave blank to keep the stored secret' : 'Stored in the OS keychain, never shown again'}
            value={secret}
            onChange={(e) => setSecret(e.currentTarget.value)}
            autoComplete="new-password"
          />
        </Group>
        {secretSet && onClearSecret ? (
          <Group justify="flex-end" mt={-8}>
            <Button size="compact-xs" variant="subtle" color="red" onClick={onClearSecret}>
              Clear stored secret
            </Button>
          </Group>
        ) : null}
        <Text size="sm" fw={600} mt="xs">
          Rate limits
        </Text>
        <SimpleGrid cols={3}>{LIMITS.map(field)}</SimpleGrid>
        <Accordion variant="contained">
          <Accordion.Item value="advanced">
            <Accordion.Control>Retries, circuit breaker and sync</Accordion.Control>
            <Accordion.Panel>
              <SimpleGrid cols={2}>{ADVANCED.map(field)}</SimpleGrid>
              <Switch
                mt="md"
                label='Treat 403 "Over QPS" as throttling (legacy gateway)'
                checked={config.legacyOverQps403 !== false}
                onChange={(e) => set('legacyOverQps403', e.currentTarget.checked)}
              />
              <Switch
                mt="xs"
                label="Read changed-data feeds without consuming them (testing)"
                checked={config.feedLeaveUnprocessed === true}
                onChange={(e) => set('feedLeaveUnprocessed', e.currentTarget.checked)}
              />
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
        <Switch
          label="Push Practice Studio appointment changes to athenaNet"
          description="New appointments are booked into the matching open slot, moves reschedule, cancellations cancel. Changes that came from athenaNet or an inbound interface are never sent back."
          checked={config.pushAppointmentChanges === true}
          onChange={(e) => set('pushAppointmentChanges', e.currentTarget.checked)}
        />
        <ConnectionFormFooter enabled={enabled} onEnabled={setEnabled} error={error} fieldErrors={fe} isNew={!initial} busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  )
}
