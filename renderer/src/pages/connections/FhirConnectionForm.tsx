import { Accordion, Badge, Button, Group, PasswordInput, Select, SimpleGrid, Stack, Switch, TagsInput, Text, Textarea, TextInput } from '@mantine/core'
import { useState, type ReactNode } from 'react'
import { DEFAULT_FHIR_SCOPES, FHIR_JWT_ALGS, FHIR_PRESETS, fhirConnectionConfigSchema, isLoopbackHost, type FhirConnectionConfig } from '../../../../shared/config'
import type { Connection } from '../../../../shared/api/connections'
import { useApi, type ApiError } from '../../api/client'
import { LIMITS } from './AthenaConnectionForm'
import { ConnectionFormFooter, configErrors, NumField, orNull, type NumSpec } from './ConnectionFormParts'

export type FhirSecretField = 'client_secret' | 'private_key'

export interface FhirFormValues {
  name: string
  enabled: boolean
  config: Record<string, unknown>
  /** Typed secrets (write-only); an absent or empty one keeps what is stored. */
  secrets: Partial<Record<FhirSecretField, string>>
}

const PRESET_LABEL: Record<(typeof FHIR_PRESETS)[number], string> = {
  sandbox: 'Local sandbox (in-process, /fhir/r4)',
  preview: 'athena preview (api.preview.platform.athenahealth.com/fhir/r4)',
  production: 'athena production (api.platform.athenahealth.com/fhir/r4)',
  custom: 'Any FHIR R4 server',
}

const SEARCH: NumSpec[] = [
  { key: 'pageSize', label: 'Page size (_count)', description: "athena's maximum is not published", min: 1, max: 1000 },
  { key: 'pageDelayMs', label: 'Pause between pages (ms)', min: 0, max: 60000 },
  { key: 'reconcileIntervalMinutes', label: 'Reconcile every (min, 0 = on gaps only)', min: 0 },
  { key: 'reconcileAfterGapMinutes', label: 'Reconcile after a receiver gap of (min)', description: 'athena retries a delivery for 1 hour', min: 1 },
]

const WEBHOOK: NumSpec[] = [
  { key: 'port', label: 'Port', description: '0 = chosen by the system at start', min: 0, max: 65535 },
  { key: 'lifetimeHours', label: 'Subscription lifetime (h, 0 = no end)', min: 0 },
  { key: 'renewBeforeMinutes', label: 'Renew before the end (min)', min: 1 },
  { key: 'overlapSeconds', label: 'Renewal overlap (s)', description: 'Both subscriptions and secrets live', min: 0 },
  { key: 'checkIntervalSeconds', label: 'Check subscriptions every (s)', min: 1 },
  { key: 'maxBodyBytes', label: 'Largest notification (bytes)', min: 1 },
]

const DEFAULTS: FhirConnectionConfig = fhirConnectionConfigSchema.parse({})

function startFrom(initial?: Connection): FhirConnectionConfig {
  const c = (initial?.config ?? {}) as Partial<FhirConnectionConfig>
  const webhook = { ...DEFAULTS.webhook, ...c.webhook, tls: { ...DEFAULTS.webhook.tls, ...c.webhook?.tls } }
  return { ...DEFAULTS, ...c, webhook }
}

/** "set / not set" next to a write-only secret's label. */
function SecretLabel({ label, set }: { label: string; set: boolean }): ReactNode {
  return (
    <Group gap={6} component="span">
      {label}
      <Badge size="xs" color={set ? 'teal' : 'gray'} variant="light" data-testid={`secret-state-${label.toLowerCase().replace(/\s+/g, '-')}`}>
        {set ? 'set' : 'not set'}
      </Badge>
    </Group>
  )
}

/**
 * A FHIR R4 endpoint of the practice: athena's preview / production bases, the local sandbox or any
 * R4 server; client credentials (HTTP Basic, the athenaNet token endpoint) or private_key_jwt with
 * its algorithm, the key kept in the keychain; scopes; the `ah-practice` context; and the webhook
 * receiver with the subscription topics. Secrets are write-only: the form says whether one is set.
 */
export function FhirConnectionForm({
  initial,
  onSubmit,
  onCancel,
  onClearSecret,
  error,
  busy,
}: {
  initial?: Connection
  onSubmit(v: FhirFormValues): void
  onCancel(): void
  onClearSecret?(field: FhirSecretField): void
  error: ApiError | null
  busy: boolean
}) {
  const [name, setName] = useState(initial?.name ?? 'fhir')
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [v, setV] = useState<FhirConnectionConfig>(() => startFrom(initial))
  const [secret, setSecret] = useState('')
  const [privateKey, setPrivateKey] = useState('')
  const set = <K extends keyof FhirConnectionConfig>(k: K, value: FhirConnectionConfig[K]) => setV((o) => ({ ...o, [k]: value }))
  const setHook = <K extends keyof FhirConnectionConfig['webhook']>(k: K, value: FhirConnectionConfig['webhook'][K]) => setV((o) => ({ ...o, webhook: { ...o.webhook, [k]: value } }))
  const setTls = (k: 'enabled' | 'certFile' | 'keyFile', value: boolean | string | null) => setV((o) => ({ ...o, webhook: { ...o.webhook, tls: { ...o.webhook.tls, [k]: value } } }))
  const shown = ['preset', 'baseUrl', 'tokenUrl', 'clientId', 'auth', 'jwtAlg', 'jwtKid', 'scopes', 'practiceContext', 'practiceParamForm', 'searchVia', 'inboundValidation', ...LIMITS.map((n) => n.key), ...SEARCH.map((n) => n.key), ...WEBHOOK.map((n) => `webhook.${n.key}`), 'webhook.enabled', 'webhook.host', 'webhook.publicUrl', 'webhook.topics', 'webhook.tls', 'webhook.tls.certFile', 'webhook.tls.keyFile']
  const { fe, err, unplaced } = configErrors(error, shown)
  // Topics the server offers, once the connection exists and works (GET SubscriptionTopic).
  const topics = useApi('fhir.topics', { practiceId: initial?.practiceId ?? '' }, { enabled: Boolean(initial?.enabled && v.webhook.enabled), retry: false, staleTime: 5 * 60_000 })
  const secretSet = (f: FhirSecretField) => initial?.secrets[f] === true
  const jwt = v.auth === 'private_key_jwt'
  const inTheClear = v.webhook.enabled && !v.webhook.tls.enabled && !isLoopbackHost(v.webhook.host)

  const choosePreset = (p: FhirConnectionConfig['preset']) =>
    // athena wants the practice context on every search; other R4 servers do not know `ah-practice`.
    setV((o) => ({ ...o, preset: p, practiceContext: p === 'custom' ? false : o.preset === 'custom' ? true : o.practiceContext }))

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        const config: FhirConnectionConfig = {
          ...v,
          baseUrl: orNull(v.baseUrl ?? ''),
          tokenUrl: orNull(v.tokenUrl ?? ''),
          clientId: orNull(v.clientId ?? ''),
          jwtKid: orNull(v.jwtKid ?? ''),
          webhook: { ...v.webhook, publicUrl: orNull(v.webhook.publicUrl ?? ''), tls: { ...v.webhook.tls, certFile: orNull(v.webhook.tls.certFile ?? ''), keyFile: orNull(v.webhook.tls.keyFile ?? '') } },
        }
        onSubmit({ name, enabled, config: config as unknown as Record<string, unknown>, secrets: { ...(secret ? { client_secret: secret } : {}), ...(privateKey.trim() ? { private_key: privateKey.trim() + '\n' } : {}) } })
      }}
    >
      <Stack>
        <Group grow align="flex-start">
          <TextInput label="Name" required value={name} error={fe.name} onChange={(e) => setName(e.currentTarget.value)} description="lowercase, digits and hyphens" />
          <Select label="Server" data={FHIR_PRESETS.map((p) => ({ value: p, label: PRESET_LABEL[p] }))} value={v.preset} allowDeselect={false} error={err('preset')} onChange={(p) => p && choosePreset(p as FhirConnectionConfig['preset'])} />
        </Group>
        <Group grow align="flex-start">
          <TextInput
            label="FHIR base URL"
            withAsterisk={v.preset === 'custom'}
            description={v.preset === 'custom' ? 'The R4 server base, e.g. https://fhir.example.org/r4' : "Optional: overrides the preset's base (a proxy, a standalone sandbox)"}
            placeholder="https://…/fhir/r4"
            value={v.baseUrl ?? ''}
            error={err('baseUrl')}
            onChange={(e) => set('baseUrl', e.currentTarget.value)}
          />
          <TextInput label="Token URL" description="Empty = {host}/oauth2/v1/token, athena's (shared with athenaNet)" placeholder="https://…/oauth2/v1/token" value={v.tokenUrl ?? ''} error={err('tokenUrl')} onChange={(e) => set('tokenUrl', e.currentTarget.value)} />
        </Group>
        <Group grow align="flex-start">
          <TextInput label="Client id" value={v.clientId ?? ''} error={err('clientId')} onChange={(e) => set('clientId', e.currentTarget.value)} autoComplete="off" />
          <Select
            label="Client authentication"
            data={[
              { value: 'client_secret_basic', label: 'Client credentials (HTTP Basic)' },
              { value: 'private_key_jwt', label: 'private_key_jwt (signed assertion)' },
            ]}
            value={v.auth}
            allowDeselect={false}
            onChange={(a) => a && set('auth', a as FhirConnectionConfig['auth'])}
          />
        </Group>
        {jwt ? (
          <>
            <Group grow align="flex-start">
              <Select label="Signing algorithm" description="athena does not publish which one it accepts" data={[...FHIR_JWT_ALGS]} value={v.jwtAlg} allowDeselect={false} error={err('jwtAlg')} onChange={(a) => a && set('jwtAlg', a as FhirConnectionConfig['jwtAlg'])} />
              <TextInput label="Key id (kid)" description="The key's id in the JWKS registered with the server" value={v.jwtKid ?? ''} error={err('jwtKid')} onChange={(e) => set('jwtKid', e.currentTarget.value)} />
            </Group>
            <Textarea
              label={<SecretLabel label="Private key" set={secretSet('private_key')} />}
              description={secretSet('private_key') ? 'PKCS#8 PEM. Leave blank to keep the stored key' : 'PKCS#8 PEM (-----BEGIN PRIVATE KEY-----). Stored in the OS keychain, never shown again'}
              autosize
              minRows={2}
              maxRows={6}
              ff="monospace"
              value={privateKey}
              onChange={(e) => setPrivateKey(e.currentTarget.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </>
        ) : (
          <PasswordInput
            label={<SecretLabel label="Client secret" set={secretSet('client_secret')} />}
            description={secretSet('client_secret') ? 'Leave blank to keep the stored secret' : 'Stored in the OS keychain, never shown again'}
            value={secret}
            onChange={(e) => setSecret(e.currentTarget.value)}
            autoComplete="new-password"
          />
        )}
        {onClearSecret && secretSet(jwt ? 'private_key' : 'client_secret') ? (
          <Group justify="flex-end" mt={-8}>
            <Button size="compact-xs" variant="subtle" color="red" onClick={() => onClearSecret(jwt ? 'private_key' : 'client_secret')}>
              Clear stored {jwt ? 'key' : 'secret'}
            </Button>
          </Group>
        ) : null}
        <TagsInput
          label="Scopes"
          description="One token can carry both sets: the athenaNet MDP scope is needed for writes and re-reads routed to /v1"
          value={v.scopes}
          error={err('scopes')}
          onChange={(x) => set('scopes', x)}
          data={DEFAULT_FHIR_SCOPES}
          clearable
        />
        <Group grow align="flex-start">
          <Switch
            label="Practice context (ah-practice on every search)"
            description="athena needs it; turn it off for other FHIR servers"
            checked={v.practiceContext}
            onChange={(e) => set('practiceContext', e.currentTarget.checked)}
          />
          <Select
            label="Practice context form"
            disabled={!v.practiceContext}
            data={[
              { value: 'reference', label: 'Organization/a-1.Practice-{id}' },
              { value: 'id', label: 'a-1.Practice-{id}' },
            ]}
            value={v.practiceParamForm}
            allowDeselect={false}
            onChange={(x) => x && set('practiceParamForm', x as FhirConnectionConfig['practiceParamForm'])}
          />
        </Group>
        <Text size="sm" fw={600} mt="xs">
          Rate limits (shared with the athenaNet connection of the same key)
        </Text>
        <SimpleGrid cols={3}>
          {LIMITS.map((n) => (
            <NumField key={n.key} n={n} value={v[n.key as keyof FhirConnectionConfig]} error={err(n.key)} onChange={(x) => setV((o) => ({ ...o, [n.key]: x }))} />
          ))}
        </SimpleGrid>
        <Accordion variant="contained" multiple>
          <Accordion.Item value="search">
            <Accordion.Control>Searches, validation and reconciliation</Accordion.Control>
            <Accordion.Panel>
              <SimpleGrid cols={2}>
                <Select
                  label="Searches"
                  data={[
                    { value: 'post', label: 'POST {Type}/_search (keeps PHI out of URLs)' },
                    { value: 'get', label: 'GET {Type}?… (servers without _search)' },
                  ]}
                  value={v.searchVia}
                  allowDeselect={false}
                  onChange={(x) => x && set('searchVia', x as FhirConnectionConfig['searchVia'])}
                />
                <Select
                  label="Received resources that fail validation"
                  data={[
                    { value: 'lenient', label: 'Map them and show the issues' },
                    { value: 'strict', label: 'Stop them (error)' },
                  ]}
                  value={v.inboundValidation}
                  allowDeselect={false}
                  onChange={(x) => x && set('inboundValidation', x as FhirConnectionConfig['inboundValidation'])}
                />
                {SEARCH.map((n) => (
                  <NumField key={n.key} n={n} value={v[n.key as keyof FhirConnectionConfig]} error={err(n.key)} onChange={(x) => setV((o) => ({ ...o, [n.key]: x }))} />
                ))}
              </SimpleGrid>
            </Accordion.Panel>
          </Accordion.Item>
          <Accordion.Item value="webhook">
            <Accordion.Control>Event subscriptions and webhook {v.webhook.enabled ? '(on)' : '(off)'}</Accordion.Control>
            <Accordion.Panel>
              <Stack>
                <Switch label="Receive event notifications (webhook)" checked={v.webhook.enabled} onChange={(e) => setHook('enabled', e.currentTarget.checked)} />
                <TagsInput
                  label="Topics"
                  description="One subscription per topic, e.g. Patient.update, Appointment.schedule"
                  value={v.webhook.topics}
                  error={err('webhook.topics')}
                  data={(topics.data ?? []).map((t) => t.id)}
                  onChange={(x) => setHook('topics', x)}
                  clearable
                />
                <Group grow align="flex-start">
                  <TextInput label="Listen on address" description="127.0.0.1 = behind the practice's reverse proxy" value={v.webhook.host} error={err('webhook.host')} onChange={(e) => setHook('host', e.currentTarget.value)} />
                  <TextInput
                    label="Public notification URL"
                    description="athena posts to public HTTPS on 443; empty = this listener's own address (sandbox only)"
                    placeholder="https://hooks.example-practice.org/fhir"
                    value={v.webhook.publicUrl ?? ''}
                    error={err('webhook.publicUrl')}
                    onChange={(e) => setHook('publicUrl', e.currentTarget.value)}
                  />
                </Group>
                <Switch label="HTTPS with our certificate" checked={v.webhook.tls.enabled} onChange={(e) => setTls('enabled', e.currentTarget.checked)} />
                {inTheClear ? (
                  <Text size="sm" c="orange">
                    Plain HTTP is allowed only on a loopback address.
                  </Text>
                ) : null}
                {v.webhook.tls.enabled ? (
                  <Group grow align="flex-start">
                    <TextInput label="Certificate file (PEM)" value={v.webhook.tls.certFile ?? ''} error={err('webhook.tls') ?? err('webhook.tls.certFile')} onChange={(e) => setTls('certFile', e.currentTarget.value)} />
                    <TextInput label="Private key file (PEM)" value={v.webhook.tls.keyFile ?? ''} error={err('webhook.tls.keyFile')} onChange={(e) => setTls('keyFile', e.currentTarget.value)} />
                  </Group>
                ) : null}
                <SimpleGrid cols={3}>
                  {WEBHOOK.map((n) => (
                    <NumField key={n.key} n={n} value={v.webhook[n.key as keyof FhirConnectionConfig['webhook']]} error={err(`webhook.${n.key}`)} onChange={(x) => setV((o) => ({ ...o, webhook: { ...o.webhook, [n.key]: x } }))} />
                  ))}
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
