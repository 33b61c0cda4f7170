import { Accordion, Group, MultiSelect, NumberInput, SimpleGrid, Stack, Switch, TextInput } from '@mantine/core'
import { ConnectionFormFooter, configErrors, NO_TLS, orNull, useHl7ConnectionForm, type ConnectionFormProps, type TlsValues } from './ConnectionFormParts'

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
  tls: TlsValues
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
  tls: NO_TLS,
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
}: ConnectionFormProps) {
  const { name, setName, enabled, setEnabled, v, set, setTls, formProps } = useHl7ConnectionForm<OutboundValues>(initial, DEFAULTS, 'siu-out', onSubmit)
  const { fe, err, unplaced } = configErrors(error, ['host', 'port', 'messageTypes', 'version', ...NUMBERS.map((n) => n.key)])
  return (
    <form {...formProps}>
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
        <ConnectionFormFooter enabled={enabled} onEnabled={setEnabled} error={error} fieldErrors={fe} unplaced={unplaced} isNew={!initial} busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  )
}
