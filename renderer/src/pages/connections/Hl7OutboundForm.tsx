import { Accordion, Button, Group, MultiSelect, NumberInput, SimpleGrid, Stack, Switch, Text, TextInput } from '@mantine/core'
import { useState } from 'react'
import type { Connection } from '../../../../shared/api/connections'
import { ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

interface OutboundValues {
  host: string
  port: number
  messageTypes: string[]
  sendingApplication: string
  sendingFacility: string
  receivingApplication: string
  receivingFacility: string
  version: string
  connectTimeoutMs: number
  responseTimeoutMs: number
  maxAttempts: number
  backoffBaseMs: number
  backoffCapMs: number
  includeInboundChanges: boolean
  testRoundTrip: boolean
  tls: { enabled: boolean; certFile: string | null; keyFile: string | null; caFile: string | null; requestClientCert: boolean; clientCertFingerprints: string[] }
}

const DEFAULTS: OutboundValues = {
  host: '127.0.0.1',
  port: 2575,
  messageTypes: ['SIU^S12', 'SIU^S14', 'SIU^S15'],
  sendingApplication: 'PRACTICESTUDIO',
  sendingFacility: '',
  receivingApplication: '',
  receivingFacility: '',
  version: '2.5.1',
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 30_000,
  maxAttempts: 10,
  backoffBaseMs: 1_000,
  backoffCapMs: 300_000,
  includeInboundChanges: false,
  testRoundTrip: false,
  tls: { enabled: false, certFile: null, keyFile: null, caFile: null, requestClientCert: false, clientCertFingerprints: [] },
}

const SIU_TYPES = [
  { value: 'SIU^S12', label: 'SIU^S12 (new appointment)' },
  { value: 'SIU^S14', label: 'SIU^S14 (changed appointment)' },
  { value: 'SIU^S15', label: 'SIU^S15 (cancelled appointment)' },
]
const NUMBERS: { key: keyof OutboundValues; label: string; min: number }[] = [
  { key: 'connectTimeoutMs', label: 'Connect timeout (ms)', min: 1 },
  { key: 'responseTimeoutMs', label: 'ACK timeout (ms)', min: 1 },
  { key: 'maxAttempts', label: 'Attempts before the error queue', min: 1 },
  { key: 'backoffBaseMs', label: 'Retry backoff base (ms)', min: 1 },
  { key: 'backoffCapMs', label: 'Retry backoff cap (ms)', min: 1 },
]
const orNull = (s: string): string | null => (s.trim() === '' ? null : s.trim())

/**
 * An HL7 outbound destination as a form: where SIU messages go, what their MSH says, how long to
 * wait for the ACK and how often to retry before a message goes to the error queue.
 */
export function Hl7OutboundForm({
  initial,
  onSubmit,
  onCancel,
  error,
  busy,
}: {
  initial?: Connection
  onSubmit(v: { name: string; enabled: boolean; config: Record<string, unknown> }): void
  onCancel(): void
  error: ApiError | null
  busy: boolean
}) {
  const start = { ...DEFAULTS, ...(initial?.config as Partial<OutboundValues> | undefined) }
  const [name, setName] = useState(initial?.name ?? 'siu-out')
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [v, setV] = useState<OutboundValues>({ ...start, tls: { ...DEFAULTS.tls, ...start.tls } })
  const set = <K extends keyof OutboundValues>(k: K, value: OutboundValues[K]) => setV((o) => ({ ...o, [k]: value }))
  const setTls = <K extends keyof OutboundValues['tls']>(k: K, value: OutboundValues['tls'][K]) => setV((o) => ({ ...o, tls: { ...o.tls, [k]: value } }))
  const fe = error instanceof ApiError ? error.fieldErrors() : {}
  const err = (path: string): string | undefined => fe[`config.${path}`]
  const shown = new Set(['host', 'port', 'messageTypes', 'version', ...NUMBERS.map((n) => n.key)].map((k) => `config.${k}`))
  const otherErrors = Object.entries(fe).filter(([k]) => k.startsWith('config.') && !shown.has(k))
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        onSubmit({ name, enabled, config: { ...v } })
      }}
    >
      <Stack>
        <Group grow align="flex-start">
          <TextInput label="Name" required value={name} error={fe.name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput label="Host" required value={v.host} error={err('host')} onChange={(e) => set('host', e.currentTarget.value)} />
          <NumberInput label="Port" min={1} max={65535} value={v.port} error={err('port')} onChange={(n) => set('port', Number(n) || 0)} />
        </Group>
        <MultiSelect label="Send" description="Appointment changes in Practice Studio become these messages" data={SIU_TYPES} value={v.messageTypes} error={err('messageTypes')} onChange={(x) => set('messageTypes', x)} />
        <SimpleGrid cols={3}>
          <TextInput label="Sending application (MSH-3)" value={v.sendingApplication} onChange={(e) => set('sendingApplication', e.currentTarget.value)} />
          <TextInput label="Sending facility (MSH-4)" value={v.sendingFacility} onChange={(e) => set('sendingFacility', e.currentTarget.value)} />
          <TextInput label="HL7 version (MSH-12)" value={v.version} error={err('version')} onChange={(e) => set('version', e.currentTarget.value)} />
          <TextInput label="Receiving application (MSH-5)" value={v.receivingApplication} onChange={(e) => set('receivingApplication', e.currentTarget.value)} />
          <TextInput label="Receiving facility (MSH-6)" value={v.receivingFacility} onChange={(e) => set('receivingFacility', e.currentTarget.value)} />
        </SimpleGrid>
        <Switch label="Also send changes that came in from this peer (off: nothing echoes back)" checked={v.includeInboundChanges} onChange={(e) => set('includeInboundChanges', e.currentTarget.checked)} />
        <Switch label="Connectivity test sends a test message (MSH-11 = T) and checks the ACK" checked={v.testRoundTrip} onChange={(e) => set('testRoundTrip', e.currentTarget.checked)} />
        <Accordion variant="contained">
          <Accordion.Item value="retries">
            <Accordion.Control>Timeouts and retries</Accordion.Control>
            <Accordion.Panel>
              <SimpleGrid cols={3}>
                {NUMBERS.map((n) => (
                  <NumberInput key={n.key} label={n.label} min={n.min} value={v[n.key] as number} error={err(n.key)} onChange={(x) => set(n.key, (Number(x) || n.min) as never)} />
                ))}
              </SimpleGrid>
            </Accordion.Panel>
          </Accordion.Item>
          <Accordion.Item value="tls">
            <Accordion.Control>TLS {v.tls.enabled ? '(on)' : '(off)'}</Accordion.Control>
            <Accordion.Panel>
              <Stack gap="xs">
                <Switch label="Connect with TLS (the server's certificate is verified)" checked={v.tls.enabled} onChange={(e) => setTls('enabled', e.currentTarget.checked)} />
                <SimpleGrid cols={3}>
                  <TextInput label="CA file (PEM)" value={v.tls.caFile ?? ''} onChange={(e) => setTls('caFile', orNull(e.currentTarget.value))} />
                  <TextInput label="Client certificate (PEM)" value={v.tls.certFile ?? ''} onChange={(e) => setTls('certFile', orNull(e.currentTarget.value))} />
                  <TextInput label="Client key (PEM)" value={v.tls.keyFile ?? ''} onChange={(e) => setTls('keyFile', orNull(e.currentTarget.value))} />
                </SimpleGrid>
              </Stack>
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
        {otherErrors.length ? (
          <Text size="sm" c="red" data-testid="config-errors">
            {otherErrors.map(([k, m]) => `${k.slice('config.'.length)}: ${m}`).join('; ')}
          </Text>
        ) : null}
        <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        <ErrorAlert error={error && Object.keys(fe).length === 0 ? error : null} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {initial ? 'Save' : 'Create connection'}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
