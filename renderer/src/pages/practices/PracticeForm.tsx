import { Button, Group, Select, Stack, TextInput } from '@mantine/core'
import { useState } from 'react'
import type { Practice } from '../../../../shared/api/practices'
import { ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

export interface PracticeFormValues {
  id: string
  name: string
  athenaPracticeId: string
  environment: 'sandbox' | 'preview' | 'production'
  timeZone: string
  unknownPatientRule: 'create' | 'hold' | 'match'
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
