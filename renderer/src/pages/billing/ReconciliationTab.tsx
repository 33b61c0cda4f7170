import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useState } from 'react'
import { api, useApi } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { useTimeFormat } from '../../app/time-format'
import { ErrorAlert } from '../../components/ErrorAlert'
import { downloadText } from '../../components/download'
import { money } from './money'

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="xl" data-testid={testId}>
        {value}
      </Text>
    </Card>
  )
}

/** Expected vs paid vs deposited for one practice and period; what did not match; denials in words. */
export function ReconciliationTab({ practiceId }: { practiceId: string }) {
  // Today in the zone the person reads times in (the practice's by default), not UTC's.
  const { day } = useTimeFormat()
  const today = (): string => day(Date.now())
  const monthStart = (): string => today().slice(0, 8) + '01'
  const [from, setFrom] = useState(monthStart)
  const [to, setTo] = useState(today)
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to)
  const rec = useApi('billing.reconciliation', { practiceId, from, to }, { enabled: valid })
  const mayExport = useMayCall('billing.exportReconciliation', practiceId)
  const [exportError, setExportError] = useState<Error | null>(null)
  const r = rec.data
  const exportCsv = async () => {
    setExportError(null)
    try {
      const f = await api('billing.exportReconciliation', { practiceId, from, to })
      downloadText(f.fileName, f.content)
    } catch (e) {
      setExportError(e as Error)
    }
  }
  return (
    <Stack>
      <Group align="flex-end">
        <TextInput label="From (service / payment / deposit date)" value={from} onChange={(e) => setFrom(e.currentTarget.value)} data-testid="rec-from" />
        <TextInput label="To" value={to} onChange={(e) => setTo(e.currentTarget.value)} data-testid="rec-to" />
        {mayExport ? (
        <Button variant="light" onClick={() => void exportCsv()} disabled={!r}>
          Export CSV
        </Button>
        ) : null}
      </Group>
      {rec.error ? <ErrorAlert error={rec.error} /> : null}
      {exportError ? <ErrorAlert error={exportError} /> : null}
      {r ? (
        <>
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <Stat label="Expected (claims billed)" value={money(r.expectedCents)} testId="rec-expected" />
            <Stat label="Paid (835)" value={money(r.paidCents)} testId="rec-paid" />
            <Stat label="Deposited (bank)" value={money(r.depositedCents)} testId="rec-deposited" />
            <Stat label="Provider adjustments (PLB)" value={money(r.plbCents)} testId="rec-plb" />
          </SimpleGrid>
          <Group gap="xs" data-testid="rec-claims">
            <Badge variant="light">{r.claims.sent} claims</Badge>
            <Badge color="teal">{r.claims.paid} paid</Badge>
            <Badge color="yellow">{r.claims.partial} partially paid</Badge>
            <Badge color="red">{r.claims.denied} denied</Badge>
            <Badge color="grape">{r.claims.reversed} reversed</Badge>
            <Badge color="gray">{r.claims.unpaid} waiting</Badge>
          </Group>
          <Title order={4}>Denials by reason</Title>
          {r.denialsByReason.length === 0 ? (
            <Text c="dimmed" size="sm">
              No denials in this period.
            </Text>
          ) : (
            <Table data-testid="rec-denials">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Code</Table.Th>
                  <Table.Th>Reason</Table.Th>
                  <Table.Th>Claims</Table.Th>
                  <Table.Th>Amount</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {r.denialsByReason.map((d) => (
                  <Table.Tr key={`${d.group}-${d.reason}`}>
                    <Table.Td>
                      {d.group}-{d.reason}
                    </Table.Td>
                    <Table.Td>{d.words}</Table.Td>
                    <Table.Td>{d.claims}</Table.Td>
                    <Table.Td>{money(d.cents)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Title order={4}>Unmatched</Title>
          {r.remittancesWithoutDeposit.length + r.depositsWithoutRemittance.length + r.unmatchedRemitClaims.length + r.amountMismatches.length === 0 ? (
            <Text c="dimmed" size="sm">
              Everything in this period matched.
            </Text>
          ) : (
            <Stack gap="xs" data-testid="rec-unmatched">
              {r.remittancesWithoutDeposit.map((x) => (
                <Alert key={`r${x.id}`} color="yellow" p="xs">
                  Remittance {x.trace} from {x.payerName || 'the payer'} ({money(x.paymentCents)}, {x.paymentDate ?? 'no date'}) has no bank deposit.
                </Alert>
              ))}
              {r.depositsWithoutRemittance.map((d) => (
                <Alert key={`d${d.id}`} color="yellow" p="xs">
                  Deposit {d.trace} of {money(d.amountCents)} on {d.depositDate} ({d.fileName} line {d.line}) has no remittance.
                </Alert>
              ))}
              {r.amountMismatches.map((m) => (
                <Alert key={`m${m.remittanceId}`} color="red" p="xs">
                  Trace {m.trace}: the 835 pays {money(m.remitCents)} but the bank deposited {money(m.depositCents)}.
                </Alert>
              ))}
              {r.unmatchedRemitClaims.map((c) => (
                <Alert key={`c${c.id}`} color="orange" p="xs">
                  The payer paid {money(c.paidCents)} on claim {c.pcn} (ICN {c.payerIcn}), which matches none of our claims.
                </Alert>
              ))}
            </Stack>
          )}
          <Title order={4}>Remittances</Title>
          <Table data-testid="rec-remittances">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Trace</Table.Th>
                <Table.Th>Payer</Table.Th>
                <Table.Th>Date</Table.Th>
                <Table.Th>Payment</Table.Th>
                <Table.Th>Claims</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {r.remittances.map((x) => (
                <Table.Tr key={x.id}>
                  <Table.Td>{x.trace}</Table.Td>
                  <Table.Td>{x.payerName}</Table.Td>
                  <Table.Td>{x.paymentDate ?? '—'}</Table.Td>
                  <Table.Td>{money(x.paymentCents)}</Table.Td>
                  <Table.Td>{x.claimCount}</Table.Td>
                  <Table.Td>
                    <Badge color={x.status === 'posted' ? 'teal' : 'red'} title={x.problems.join('\n')}>
                      {x.status === 'posted' ? (x.depositId ? 'posted, deposited' : 'posted') : 'unbalanced, not posted'}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      ) : null}
    </Stack>
  )
}
