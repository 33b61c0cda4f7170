/**
 * Billing test harness: a real engine (encrypted SQLite, HL7 engine + billing module), patients
 * and charges sent as real ADT^A04 / DFT^P03 messages over MLLP, and claim settings.
 */
import { hl7EngineModule } from '../../../electron/engine/connectors/hl7-engine'
import { billingModule } from '../../../electron/engine/connectors/files/billing'
import { adtMsg, MllpTestClient, openHl7Engine, type Hl7TestEngine } from '../hl7/support'

export interface BillingTest {
  t: Hl7TestEngine
  client: MllpTestClient
  send(msg: string): Promise<void>
  close(): Promise<void>
}

export async function openBillingEngine(): Promise<BillingTest> {
  const t = await openHl7Engine({ modules: [hl7EngineModule({ outboundPollMs: 50 }), billingModule] })
  const { port } = await t.addInbound('fin-in')
  const client = await MllpTestClient.connect(port)
  const send = async (msg: string): Promise<void> => {
    const ack = await client.sendAck(msg)
    if (!['AA', 'CA'].includes(ack.code)) throw new Error(`not accepted: ${ack.code}`)
    await t.idle()
  }
  return {
    t,
    client,
    send,
    async close() {
      client.close()
      await t.close()
    },
  }
}

export { adtMsg }
export { BILLING_NPI, CLAIM_SETTINGS, dft, remit835, RENDERING_NPI } from '../../support/billing-files'
