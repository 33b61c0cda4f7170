import { Button, Fieldset, Group, NumberInput, Select, Stack, Table, Text, TextInput } from '@mantine/core'
import { useState } from 'react'
import type { Practice } from '../../../../shared/api/practices'
import type { Retention } from '../../../../shared/config'
import { ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

export interface PracticeFormValues {
  id: string
  name: string
  athenaPracticeId: string
  environment: 'sandbox' | 'preview' | 'production'
  timeZone: string
  unknownPatientRule: 'create' | 'hold' | 'match'
  retention: RetentionForm
}

type Days = number | ''
interface RetentionRow {
  transactionsDays: Days
  rawPayloadDays: Days
  logsDays: Days
}
export interface RetentionForm {
  /** '' = keep forever (practice row) or the practice's value (connector rows). */
  rows: Record<string, RetentionRow>
  auditYears: number
  touched: boolean
}

/** The rows of the retention table: the practice's values, then each connector's overrides. */
const RETENTION_ROWS = [
  { key: '*', label: 'All connectors' },
  { key: 'hl7', label: 'HL7 v2 interfaces' },
  { key: 'athena', label: 'athenaNet' },
]
const FIELDS: { key: keyof RetentionRow; label: string }[] = [
  { key: 'rawPayloadDays', label: 'Raw payloads (days)' },
  { key: 'transactionsDays', label: 'Transactions (days)' },
  { key: 'logsDays', label: 'Logs (days)' },
]

function retentionForm(r: Retention | undefined): RetentionForm {
  const d = (v: number | null | undefined): Days => (v === null || v === undefined ? '' : v)
  const rows: Record<string, RetentionRow> = { '*': { transactionsDays: d(r?.transactionsDays), rawPayloadDays: d(r?.rawPayloadDays), logsDays: d(r?.logsDays) } }
  for (const { key } of RETENTION_ROWS.slice(1)) {
    const o = r?.connectors[key]
    rows[key] = { transactionsDays: d(o?.transactionsDays), rawPayloadDays: d(o?.rawPayloadDays), logsDays: d(o?.logsDays) }
  }
  return { rows, auditYears: r?.auditYears ?? 6, touched: false }
}

/** The retention settings to send, or undefined when the form left them alone (nothing to change). */
export function retentionInput(f: RetentionForm, initial: Retention | undefined): Record<string, unknown> | undefined {
  if (!f.touched) return undefined
  const v = (x: Days): number | null => (x === '' ? null : x)
  const connectors: Record<string, Record<string, number | null>> = { ...(initial?.connectors ?? {}) }
  for (const { key } of RETENTION_ROWS.slice(1)) {
    const row = f.rows[key]
    const o = Object.fromEntries(FIELDS.filter((x) => row[x.key] !== '').map((x) => [x.key, v(row[x.key])]))
    if (Object.keys(o).length) connectors[key] = o
    else delete connectors[key]
  }
  const base = f.rows['*']
  return { transactionsDays: v(base.transactionsDays), rawPayloadDays: v(base.rawPayloadDays), logsDays: v(base.logsDays), auditYears: f.auditYears, connectors }
}

const ZONES = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone')
  } catch {
    return ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles']
  }
})()

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
}

export function PracticeForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
  error,
  busy,
}: {
  initial?: Practice
  submitLabel: string
  onSubmit(v: PracticeFormValues): void
  onCancel(): void
  error: ApiError | null
  busy: boolean
}) {
  const [v, setV] = useState<PracticeFormValues>({
    id: initial?.id ?? '',
    name: initial?.name ?? '',
    athenaPracticeId: initial?.athenaPracticeId ?? '',
    environment: initial?.environment ?? 'preview',
    timeZone: initial?.timeZone ?? 'America/New_York',
    unknownPatientRule: initial?.settings.unknownPatientRule ?? 'create',
    retention: retentionForm(initial?.settings.retention),
  })
  const [idTouched, setIdTouched] = useState(Boolean(initial))
  const fe = error instanceof ApiError ? error.fieldErrors() : {}
  const set = <K extends keyof PracticeFormValues>(k: K, val: PracticeFormValues[K]) => setV((cur) => ({ ...cur, [k]: val }))

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        onSubmit(v)
      }}
    >
      <Stack>
        <TextInput
          label="Name"
          required
          data-autofocus
          value={v.name}
          error={fe.name}
          onChange={(e) => {
            const name = e.currentTarget.value
            setV((cur) => ({ ...cur, name, id: idTouched ? cur.id : slugify(name) }))
          }}
        />
        <TextInput
          label="Practice id"
          description="Short, stable identifier used in logs, exports and listener names"
          required
          disabled={Boolean(initial)}
          value={v.id}
          error={fe.id}
          onChange={(e) => {
            setIdTouched(true)
            set('id', e.currentTarget.value)
          }}
        />
        <TextInput
          label="athenaNet practice id"
          description="Numeric, e.g. 195900 for the preview sandbox practice"
          value={v.athenaPracticeId}
          error={fe.athenaPracticeId}
          onChange={(e) => set('athenaPracticeId', e.currentTarget.value)}
        />
        <Select
          label="athenaNet environment"
          data={[
            { value: 'sandbox', label: 'Local sandbox (no credentials)' },
            { value: 'preview', label: 'Preview (api.preview.platform.athenahealth.com)' },
            { value: 'production', label: 'Production (api.platform.athenahealth.com)' },
          ]}
          value={v.environment}
          allowDeselect={false}
          onChange={(val) => val && set('environment', val as PracticeFormValues['environment'])}
        />
        <Select label="Practice time zone" searchable data={ZONES} value={v.timeZone} error={fe.timeZone} allowDeselect={false} onChange={(val) => val && set('timeZone', val)} />
        <Select
          label="Messages for unknown patients"
          description="What an inbound message about a patient we have never seen does"
          data={[
            { value: 'create', label: 'Create the patient' },
            { value: 'match', label: 'Match by MRN, then name + date of birth; hold if no match' },
            { value: 'hold', label: 'Hold in the error queue' },
          ]}
          value={v.unknownPatientRule}
          allowDeselect={false}
          onChange={(val) => val && set('unknownPatientRule', val as PracticeFormValues['unknownPatientRule'])}
        />
        <Fieldset legend="Retention" data-testid="retention-fields">
          <Text size="xs" c="dimmed" mb="xs">
            How long after receipt data is kept; empty keeps it (connector rows: empty = the practice&apos;s value). Raw payloads go first (the transaction and its hash stay); only finished
            transactions are pruned, off-peak. The audit trail is never pruned.
          </Text>
          <Table withRowBorders={false} verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th />
                {FIELDS.map((x) => (
                  <Table.Th key={x.key}>{x.label}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {RETENTION_ROWS.map((r) => (
                <Table.Tr key={r.key}>
                  <Table.Td>
                    <Text size="sm">{r.label}</Text>
                  </Table.Td>
                  {FIELDS.map((x) => (
                    <Table.Td key={x.key}>
                      <NumberInput
                        aria-label={`${r.label}: ${x.label}`}
                        min={1}
                        max={36500}
                        allowDecimal={false}
                        placeholder={r.key === '*' ? 'keep' : 'practice'}
                        value={v.retention.rows[r.key][x.key]}
                        error={fe[`settings.retention.${r.key === '*' ? '' : `connectors.${r.key}.`}${x.key}`]}
                        onChange={(val) =>
                          set('retention', { ...v.retention, touched: true, rows: { ...v.retention.rows, [r.key]: { ...v.retention.rows[r.key], [x.key]: typeof val === 'number' ? val : '' } } })
                        }
                      />
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <NumberInput
            mt="xs"
            w={260}
            label="Audit trail kept (years)"
            description="At least 6; never pruned"
            min={6}
            max={100}
            value={v.retention.auditYears}
            error={fe['settings.retention.auditYears']}
            onChange={(val) => set('retention', { ...v.retention, touched: true, auditYears: typeof val === 'number' ? val : 6 })}
          />
        </Fieldset>
        <ErrorAlert error={error && Object.keys(fe).length === 0 ? error : null} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
