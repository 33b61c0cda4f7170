import { Alert, Group, List, Stack, Text, Title } from '@mantine/core'
import { useState } from 'react'
import type { OutputOf } from '../../../../shared/api'
import { useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { readFileText } from '../../components/download'

const REFRESH = ['billing.reconciliation', 'billing.claims', 'billing.remittances', 'billing.deposits'] as const

/**
 * 835 remittances and bank deposit files picked by hand. (Until part 1's file jobs pick them up
 * from an SFTP folder on a schedule, this is how they come in.)
 */
export function ImportTab({ practiceId }: { practiceId: string }) {
  const remit = useApiMutation('billing.importRemittance', [...REFRESH])
  const deposits = useApiMutation('billing.importDeposits', [...REFRESH])
  const [remitResult, setRemitResult] = useState<OutputOf<'billing.importRemittance'> | null>(null)
  const [depResult, setDepResult] = useState<OutputOf<'billing.importDeposits'> | null>(null)
  const pick = async (file: File | undefined, kind: 'remit' | 'deposit') => {
    if (!file) return
    if (kind === 'remit') setRemitResult(await remit.mutateAsync({ practiceId, fileName: file.name, content: await readFileText(file, 'latin1') }))
    else setDepResult(await deposits.mutateAsync({ practiceId, fileName: file.name, content: await readFileText(file) }))
  }
  return (
    <Stack>
      <Title order={4}>835 remittance</Title>
      <Text size="sm" c="dimmed">
        Each transaction is balanced first (payment = claims paid − provider adjustments; each claim and line against its adjustments). An unbalanced file is reported and nothing of it is posted; a
        trace number already posted is skipped.
      </Text>
      <Group>
        <input type="file" accept=".835,.edi,.txt,.x12" data-testid="remit-file" onChange={(e) => void pick(e.currentTarget.files?.[0], 'remit').catch(() => undefined)} />
      </Group>
      {remit.error ? <ErrorAlert error={remit.error} /> : null}
      {remitResult ? (
        <Alert color={remitResult.transactions.some((t) => t.outcome === 'unbalanced') ? 'red' : 'teal'} data-testid="remit-result">
          <List size="sm">
            {remitResult.transactions.map((t) => (
              <List.Item key={`${t.trace}-${t.remittanceId}`}>
                Trace {t.trace}: {t.outcome === 'posted' ? `posted, ${t.claims} claim(s)` : t.outcome === 'duplicate' ? 'already posted (skipped)' : 'unbalanced, not posted'}
                {t.problems.length ? ` — ${t.problems.join(' ')}` : ''}
              </List.Item>
            ))}
          </List>
          {remitResult.depositsMatched ? <Text size="sm">{remitResult.depositsMatched} deposit(s) matched.</Text> : null}
        </Alert>
      ) : null}
      <Title order={4}>Bank deposits (CSV: date, amount, trace or check number)</Title>
      <Group>
        <input type="file" accept=".csv" data-testid="deposit-file" onChange={(e) => void pick(e.currentTarget.files?.[0], 'deposit').catch(() => undefined)} />
      </Group>
      {deposits.error ? <ErrorAlert error={deposits.error} /> : null}
      {depResult ? (
        <Alert color={depResult.rejected.length ? 'yellow' : 'teal'} data-testid="deposit-result">
          {depResult.created} new, {depResult.duplicate} already known, {depResult.matched} matched to remittances.
          {depResult.rejected.map((r) => (
            <Text size="sm" key={r.line}>
              Line {r.line}: {r.message}
            </Text>
          ))}
        </Alert>
      ) : null}
    </Stack>
  )
}
