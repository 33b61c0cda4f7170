import { Anchor, Button, Card, Checkbox, Group, Stack, Text, TextInput, Title } from '@mantine/core'
import { IconDownload } from '@tabler/icons-react'
import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'wouter'
import type { OutputOf } from '../../../../shared/api'
import { api, type ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

type Pulled = OutputOf<'fhir.pull.patient'>

interface PatientPull {
  id: string
  patient: Pulled
  clinical: Pulled | null
}

const counts = (r: Pulled): string => `${r.resources} resource${r.resources === 1 ? '' : 's'} (${r.stored} new, ${r.duplicates} unchanged)`

/** The transaction log searched to one patient's lane: the patient and every resource naming it as subject. */
const laneHref = (fhirId: string): string => `/transactions?connector=fhir&channel=${encodeURIComponent(`Patient/${fhirId}`)}`

/**
 * Pulls from the practice's FHIR server on request: one patient by id, with their Encounters,
 * Observations and DocumentReferences (changed since a date when given), the panel, reference data.
 * Each resource read is a transaction; the answer links to them.
 */
export function FhirPullCard({ practiceId }: { practiceId: string }) {
  const [id, setId] = useState('')
  const [withClinical, setWithClinical] = useState(true)
  const [since, setSince] = useState('')
  const [other, setOther] = useState<string | null>(null)
  const patient = useMutation<PatientPull, ApiError, { id: string; clinical: boolean; since: string }>({
    mutationFn: async (q) => {
      const p = await api('fhir.pull.patient', { practiceId, id: q.id })
      const clinical = q.clinical ? await api('fhir.pull.clinical', { practiceId, patientId: q.id, ...(q.since ? { since: q.since } : {}) }) : null
      return { id: q.id, patient: p, clinical }
    },
  })
  const panel = useMutation<OutputOf<'fhir.pull.panel'>, ApiError, void>({ mutationFn: () => api('fhir.pull.panel', { practiceId }), onSuccess: (r) => setOther(`Panel: ${r.patients} patients, ${counts(r)}, ${r.pages} pages${r.since ? ` (changed since ${r.since})` : ''}`) })
  const reference = useMutation<Pulled, ApiError, void>({ mutationFn: () => api('fhir.pull.reference', { practiceId }), onSuccess: (r) => setOther(`Reference data: ${counts(r)}`) })
  const sinceOk = since === '' || /^\d{4}-\d{2}-\d{2}$/.test(since)
  const r = patient.data

  return (
    <Card withBorder data-testid="fhir-pull">
      <Title order={5} mb="xs">
        Pull from the FHIR server
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (id.trim() && sinceOk) patient.mutate({ id: id.trim(), clinical: withClinical, since })
        }}
      >
        <Group align="flex-end" wrap="wrap">
          <TextInput label="Patient id" description="FHIR id, e.g. a-195900.E-1005" value={id} onChange={(e) => setId(e.currentTarget.value)} w={240} required />
          <Checkbox label="with Encounters, Observations, DocumentReferences" checked={withClinical} onChange={(e) => setWithClinical(e.currentTarget.checked)} mb={8} />
          <TextInput label="Changed since" description="YYYY-MM-DD, optional" value={since} onChange={(e) => setSince(e.currentTarget.value)} error={sinceOk ? null : 'use YYYY-MM-DD'} disabled={!withClinical} w={150} />
          <Button type="submit" leftSection={<IconDownload size={16} />} loading={patient.isPending} disabled={!id.trim() || !sinceOk}>
            Pull patient
          </Button>
          <Button variant="default" loading={panel.isPending} onClick={() => panel.mutate()}>
            Panel sync
          </Button>
          <Button variant="default" loading={reference.isPending} onClick={() => reference.mutate()}>
            Reference data
          </Button>
        </Group>
      </form>
      <ErrorAlert error={patient.error ?? panel.error ?? reference.error} />
      {r ? (
        <Stack gap={2} mt="sm" data-testid="pull-result">
          <Text size="sm">
            Patient {r.id}: <span data-testid="pull-patient">{counts(r.patient)}</span>
          </Text>
          {r.clinical ? (
            <Text size="sm">
              Clinical data: <span data-testid="pull-clinical">{counts(r.clinical)}</span>, {r.clinical.pages} page{r.clinical.pages === 1 ? '' : 's'}
            </Text>
          ) : null}
          <Group gap="md">
            {r.patient.txIds[0] !== undefined ? (
              <Anchor component={Link} href={`/transactions/${r.patient.txIds[0]}`} size="sm">
                Open the patient in the inspector
              </Anchor>
            ) : null}
            <Anchor component={Link} href={laneHref(r.id)} size="sm">
              All of this patient&apos;s FHIR transactions
            </Anchor>
          </Group>
        </Stack>
      ) : null}
      {other ? (
        <Text size="sm" mt="xs" data-testid="pull-other">
          {other}
        </Text>
      ) : null}
    </Card>
  )
}
