import { Accordion, Alert, Checkbox, Group, MultiSelect, NumberInput, Select, SimpleGrid, Stack, Switch, TagsInput, Text, TextInput } from '@mantine/core'
import { isLoopbackHost, type Hl7FilterRule } from '../../../../shared/config'
import { useApi } from '../../api/client'
import { ConnectionFormFooter, configErrors, NO_TLS, orNull, useHl7ConnectionForm, type ConnectionFormProps, type TlsValues } from './ConnectionFormParts'
import { FilterRulesEditor } from './FilterRulesEditor'
import { FilterTryout } from './FilterTryout'

interface InboundValues {
  host: string
  port: number
  allowedPeers: string[]
  ackMode: 'commit' | 'application'
  acceptAcks: 'msh-15' | 'always'
  messageTypes: string[]
  filters: Hl7FilterRule[]
  defaultCharset: string
  maxFrameBytes: number
  idleTimeoutSeconds: number
  maxConnections: number
  maxConnectionsPerPeer: number
  trustedPeers: string[]
  frameTimeoutSeconds: number
  refusedFramesPerMinute: number
  refusedBytesPerMinute: number
  plaintextOnPrivateNetwork: boolean
  unsupportedTypes: 'ignore' | 'reject'
  mergeAction: 'merge' | 'link'
  batchAcks: 'batch' | 'per-message'
  tls: TlsValues
}

const DEFAULTS: InboundValues = {
  host: '127.0.0.1',
  port: 0,
  allowedPeers: [],
  ackMode: 'commit',
  acceptAcks: 'msh-15',
  messageTypes: [],
  filters: [],
  defaultCharset: 'UNICODE UTF-8',
  maxFrameBytes: 16 * 1024 * 1024,
  idleTimeoutSeconds: 600,
  maxConnections: 32,
  maxConnectionsPerPeer: 8,
  trustedPeers: [],
  frameTimeoutSeconds: 60,
  refusedFramesPerMinute: 120,
  refusedBytesPerMinute: 4 * 1024 * 1024,
  plaintextOnPrivateNetwork: false,
  unsupportedTypes: 'ignore',
  mergeAction: 'merge',
  batchAcks: 'batch',
  tls: NO_TLS,
}

const CHARSETS = ['UNICODE UTF-8', '8859/1', 'ASCII', '8859/2', '8859/15']

/**
 * An HL7 inbound interface as a form: where it listens and who may connect, how it acknowledges,
 * which message types it takes and its filter rules, tried on a pasted message before saving.
 * Field errors come back from the engine by path (config.port, config.filters.0.name, …).
 */
export function Hl7InboundForm({
  initial,
  onSubmit,
  onCancel,
  error,
  busy,
}: ConnectionFormProps) {
  const { name, setName, enabled, setEnabled, v, set, setTls, formProps } = useHl7ConnectionForm<InboundValues>(initial, DEFAULTS, 'adt-in', onSubmit)
  const types = useApi('hl7.supportedTypes', {})
  const typeOptions = [...new Set((types.data ?? []).flatMap((t) => [t.messageType.split('^')[0]!, t.messageType]))]
  const { fe, err, unplaced } = configErrors(error, ['host', 'port', 'maxFrameBytes', 'idleTimeoutSeconds', 'maxConnections', 'allowedPeers', 'plaintextOnPrivateNetwork', 'maxConnectionsPerPeer', 'trustedPeers', 'reservedConnections', 'frameTimeoutSeconds', 'refusedFramesPerMinute', 'refusedBytesPerMinute'])
  const inTheClear = !v.tls.enabled && !isLoopbackHost(v.host)
  return (
    <form {...formProps}>
      <Stack>
        <Group grow align="flex-start">
          <TextInput label="Name" required value={name} error={fe.name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput label="Listen on address" description="127.0.0.1 = this workstation only" value={v.host} error={err('host')} onChange={(e) => set('host', e.currentTarget.value)} />
          <NumberInput label="Port" description="0 = chosen by the system at start" min={0} max={65535} value={v.port} error={err('port')} onChange={(n) => set('port', Number(n) || 0)} />
        </Group>
        <TagsInput label="Allowed peer addresses" description="IP addresses or CIDR ranges that may connect; empty = any (loopback or TLS only)" value={v.allowedPeers} error={err('allowedPeers')} onChange={(x) => set('allowedPeers', x)} />
        <TagsInput label="Expected senders" description="IP addresses or CIDR ranges of the senders; some connection slots are kept for them" value={v.trustedPeers} error={err('trustedPeers')} onChange={(x) => set('trustedPeers', x)} />
        {inTheClear ? (
          <Alert color="orange" data-testid="plaintext-warning" title="PHI in the clear">
            <Text size="sm" mb="xs">
              This listener accepts connections from other machines without TLS. Turn TLS on (below), or confirm that the network is private and list the peers allowed to connect.
            </Text>
            <Checkbox
              label="The network is private (VPN or closed LAN): accept plaintext HL7 from the allowed peers"
              checked={v.plaintextOnPrivateNetwork}
              error={err('plaintextOnPrivateNetwork')}
              onChange={(e) => set('plaintextOnPrivateNetwork', e.currentTarget.checked)}
            />
          </Alert>
        ) : null}
        <Group grow align="flex-start">
          <Select
            label="Acknowledge"
            allowDeselect={false}
            value={v.ackMode}
            onChange={(x) => set('ackMode', (x ?? 'commit') as InboundValues['ackMode'])}
            data={[
              { value: 'commit', label: 'On commit: AA once stored (store and forward)' },
              { value: 'application', label: 'After processing: AA/AE reflects the outcome' },
            ]}
          />
          <Select
            label="Enhanced-mode accept ACKs"
            allowDeselect={false}
            value={v.acceptAcks}
            onChange={(x) => set('acceptAcks', (x ?? 'msh-15') as InboundValues['acceptAcks'])}
            data={[
              { value: 'msh-15', label: 'As MSH-15 asks (HL7 standard)' },
              { value: 'always', label: 'Always (for senders that say NE but wait)' },
            ]}
          />
          <Select
            label="Batches (several messages in one frame)"
            allowDeselect={false}
            value={v.batchAcks}
            onChange={(x) => set('batchAcks', (x ?? 'batch') as InboundValues['batchAcks'])}
            data={[
              { value: 'batch', label: 'One reply: a batch ACK (BHS … BTS)' },
              { value: 'per-message', label: 'One ACK frame per message' },
            ]}
            error={err('batchAcks')}
          />
        </Group>
        <MultiSelect label="Message types" description="The types this interface processes; empty = every supported type" data={typeOptions} value={v.messageTypes} onChange={(x) => set('messageTypes', x)} searchable clearable error={err('messageTypes')} />
        <Group grow align="flex-start">
          <Select
            label="Types it does not process"
            description="A well-formed message of any other type"
            allowDeselect={false}
            value={v.unsupportedTypes}
            onChange={(x) => set('unsupportedTypes', (x ?? 'ignore') as InboundValues['unsupportedTypes'])}
            data={[
              { value: 'ignore', label: 'Acknowledge and ignore (AA, kept as filtered)' },
              { value: 'reject', label: 'Reject (AR, error queue)' },
            ]}
            error={err('unsupportedTypes')}
          />
          <Select
            label="Patient merges (A40, A34, A18)"
            description="Both records are always kept"
            allowDeselect={false}
            value={v.mergeAction}
            onChange={(x) => set('mergeAction', (x ?? 'merge') as InboundValues['mergeAction'])}
            data={[
              { value: 'merge', label: 'Merge into the survivor (undoable)' },
              { value: 'link', label: 'Only record the pair for review' },
            ]}
            error={err('mergeAction')}
          />
        </Group>
        <div>
          <Text fw={500} size="sm" mb={4}>
            Filter rules
          </Text>
          <FilterRulesEditor rules={v.filters} onChange={(r) => set('filters', r)} typeOptions={typeOptions} />
        </div>
        <FilterTryout messageTypes={v.messageTypes} filters={v.filters} unsupportedTypes={v.unsupportedTypes} />
        <Accordion variant="contained">
          <Accordion.Item value="tls">
            <Accordion.Control>TLS {v.tls.enabled ? '(on)' : '(off)'}</Accordion.Control>
            <Accordion.Panel>
              <Stack gap="xs">
                <Switch label="Require TLS" checked={v.tls.enabled} onChange={(e) => setTls('enabled', e.currentTarget.checked)} />
                <SimpleGrid cols={3}>
                  <TextInput label="Certificate file (PEM)" value={v.tls.certFile ?? ''} onChange={(e) => setTls('certFile', orNull(e.currentTarget.value))} />
                  <TextInput label="Private key file (PEM)" value={v.tls.keyFile ?? ''} onChange={(e) => setTls('keyFile', orNull(e.currentTarget.value))} />
                  <TextInput label="CA file for client certificates" value={v.tls.caFile ?? ''} onChange={(e) => setTls('caFile', orNull(e.currentTarget.value))} />
                </SimpleGrid>
                <Switch label="Require a client certificate (mutual TLS)" checked={v.tls.requestClientCert} onChange={(e) => setTls('requestClientCert', e.currentTarget.checked)} />
                <TagsInput label="Pinned client certificates" description="SHA-256 fingerprints; empty = any signed by the CA" value={v.tls.clientCertFingerprints} onChange={(x) => setTls('clientCertFingerprints', x)} />
              </Stack>
            </Accordion.Panel>
          </Accordion.Item>
          <Accordion.Item value="limits">
            <Accordion.Control>Limits and character set</Accordion.Control>
            <Accordion.Panel>
              <SimpleGrid cols={2}>
                <NumberInput label="Largest frame (bytes)" description="Bigger frames are refused and the connection closed" min={1} value={v.maxFrameBytes} error={err('maxFrameBytes')} onChange={(n) => set('maxFrameBytes', Number(n) || 1)} />
                <NumberInput label="Idle timeout (s, 0 = none)" min={0} value={v.idleTimeoutSeconds} error={err('idleTimeoutSeconds')} onChange={(n) => set('idleTimeoutSeconds', Number(n) || 0)} />
                <NumberInput label="Connections at once" min={1} value={v.maxConnections} error={err('maxConnections') ?? err('reservedConnections')} onChange={(n) => set('maxConnections', Number(n) || 1)} />
                <NumberInput label="Connections per address" min={1} value={v.maxConnectionsPerPeer} error={err('maxConnectionsPerPeer')} onChange={(n) => set('maxConnectionsPerPeer', Number(n) || 1)} />
                <NumberInput label="Time to finish a frame (s, 0 = none)" min={0} value={v.frameTimeoutSeconds} error={err('frameTimeoutSeconds')} onChange={(n) => set('frameTimeoutSeconds', Number(n) || 0)} />
                <NumberInput label="Refused frames stored per address and minute" min={0} value={v.refusedFramesPerMinute} error={err('refusedFramesPerMinute')} onChange={(n) => set('refusedFramesPerMinute', Number(n) || 0)} />
                <NumberInput label="Refused bytes per address and minute" min={0} value={v.refusedBytesPerMinute} error={err('refusedBytesPerMinute')} onChange={(n) => set('refusedBytesPerMinute', Number(n) || 0)} />
                <Select label="Character set when MSH-18 is empty" data={CHARSETS} allowDeselect={false} value={v.defaultCharset} onChange={(x) => set('defaultCharset', x ?? 'UNICODE UTF-8')} />
              </SimpleGrid>
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
        <ConnectionFormFooter enabled={enabled} onEnabled={setEnabled} error={error} fieldErrors={fe} unplaced={unplaced} isNew={!initial} busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  )
}
