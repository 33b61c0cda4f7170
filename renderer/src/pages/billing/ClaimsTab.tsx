import { Alert, Badge, Button, Group, List, Stack, Table, Text, Title } from '@mantine/core'
import { api, useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { downloadText } from '../../components/download'
import { Time } from '../../app/time-format'
import { money } from './money'

/** Pending charges as claims (with their problems), claim files written, and the claims sent. */
export function ClaimsTab({ practiceId }: { practiceId: string }) {
  const preview = useApi('billing.previewClaims', { practiceId })
  const files = useApi('billing.claimFiles', { practiceId })
  const claims = useApi('billing.claims', { practiceId })
  const generate = useApiMutation('billing.generateClaims', ['billing.previewClaims', 'billing.claimFiles', 'billing.claims', 'billing.reconciliation'])
  const refused = (generate.error?.details as { refused?: { pcn: string | null; path: string; message: string }[] } | undefined)?.refused
  const mayGenerate = useMayCall('billing.generateClaims', practiceId)
  const mayDownload = useMayCall('billing.claimFileContent', practiceId)
  const valid = (preview.data ?? []).filter((p) => p.issues.length === 0)
  const download = async (id: number) => {
    const f = await api('billing.claimFileContent', { practiceId, id })
    downloadText(f.fileName, f.content, 'text/plain')
  }
  return (
    <Stack>
      {mayGenerate ? (
      <Group>
        <Button onClick={() => generate.mutate({ practiceId, format: '837p' })} loading={generate.isPending} disabled={valid.length === 0} data-testid="generate-837">
          Generate 837P ({valid.length} claim{valid.length === 1 ? '' : 's'})
        </Button>
        <Button variant="light" onClick={() => generate.mutate({ practiceId, format: 'csv' })} disabled={valid.length === 0}>
          Generate CSV batch
        </Button>
      </Group>
      ) : null}
      {preview.error ? <ErrorAlert error={preview.error} /> : null}
      {generate.error && !refused ? <ErrorAlert error={generate.error} /> : null}
      {generate.data?.file ? (
        <Alert color="teal" data-testid="generate-result">
          {generate.data.file.fileName}: {generate.data.file.claimCount} claim(s), {money(generate.data.file.totalCents)}
          {generate.data.file.deliveredTo ? `, delivered to ${generate.data.file.deliveredTo}` : ', kept for download'}.
          {generate.data.refused.length ? ` ${generate.data.refused.length} problem(s) kept other claims back (below).` : ''}
        </Alert>
      ) : null}
      <Title order={4}>Pending charges</Title>
      {(preview.data ?? []).length === 0 ? (
        <Text c="dimmed" size="sm">
          No charge waits for a claim.
        </Text>
      ) : (
        <Table data-testid="pending-claims">
          <Table.Tbody>
            {(preview.data ?? []).map((p, i) => (
              <Table.Tr key={i}>
                <Table.Td>{p.serviceDate}</Table.Td>
                <Table.Td>
                  {p.lineCount} line(s), {money(p.totalCents)}
                </Table.Td>
                <Table.Td>{p.payerId || '—'}</Table.Td>
                <Table.Td>
                  {p.issues.length === 0 ? (
                    <Badge color="teal">ready</Badge>
                  ) : (
                    <List size="xs">
                      {p.issues.map((x, j) => (
                        <List.Item key={j}>{x.message}</List.Item>
                      ))}
                    </List>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={4}>Claim files</Title>
      <Table data-testid="claim-files">
        <Table.Tbody>
          {(files.data ?? []).map((f) => (
            <Table.Tr key={f.id}>
              <Table.Td>{f.fileName}</Table.Td>
              <Table.Td><Time value={f.createdAt} /></Table.Td>
              <Table.Td>
                {f.claimCount} claim(s), {money(f.totalCents)}
              </Table.Td>
              <Table.Td>{f.deliveredTo ?? 'not delivered'}</Table.Td>
              <Table.Td>
                {mayDownload ? (
                  <Button size="compact-xs" variant="light" onClick={() => void download(f.id)}>
                    Download
                  </Button>
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Title order={4}>Claims</Title>
      <Table data-testid="claims">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Patient control #</Table.Th>
            <Table.Th>Service date</Table.Th>
            <Table.Th>Payer</Table.Th>
            <Table.Th>Billed</Table.Th>
            <Table.Th>Paid</Table.Th>
            <Table.Th>Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(claims.data ?? []).map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td>{c.pcn}</Table.Td>
              <Table.Td>{c.serviceDate}</Table.Td>
              <Table.Td>{c.payerName}</Table.Td>
              <Table.Td>{money(c.totalCents)}</Table.Td>
              <Table.Td>{money(c.paidCents)}</Table.Td>
              <Table.Td>
                <Badge variant="light">{c.status}</Badge>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  )
}
