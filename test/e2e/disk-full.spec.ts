/**
 * A full disk as the operator sees it: the server's data folder on a small tmpfs that the test
 * fills (test/support/full-disk.ts). A message then gets AE, every page shows the red banner at
 * once (pushed, not polled) and an error toast; once space is freed the banner goes by itself, and
 * the bell holds the account of the episode.
 */
import { expect, test } from '@playwright/test'
import { mkdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { mountSmallDisk } from '../support/full-disk'
import { startServe } from '../support/serve-process'
import { go, keepScreenshot, openConsole } from './support/console'
import { sendRawFrame } from './support/mllp'

const adt = (id: string): string =>
  [`MSH|^~\\&|REGADT|RIVERSIDE|PRACTICESTUDIO|CLINIC|20260601091500||ADT^A04^ADT_A01|${id}|P|2.5.1`, 'EVN|A04|20260601091500', `PID|1||MRN-${id}^^^RIVERSIDE^MR||QUINTERO^ELENA||19870618|F`, `ZNT|1|${'x'.repeat(20_000)}`].join('\r') + '\r'

test('a full disk: the banner on every page, AE to the sender, and recovery by itself', async ({ page }) => {
  const disk = mountSmallDisk(48)
  const dataDir = join(disk.dir, 'data')
  mkdirSync(dataDir, { mode: 0o700 })
  const serve = await startServe({ dataDir, args: ['--config', 'docs/examples/sandbox-hl7.json', '--secret-store', 'file'] })
  try {
    const port = serve.listeners.find((l) => l.kind === 'hl7-mllp')!.port
    await openConsole(page, serve.url)
    await expect(page.getByTestId('storage-banner')).toHaveCount(0)
    expect(await sendRawFrame(port, adt('DISK1'))).toMatch(/\rMSA\|AA\|DISK1/)

    const filler = disk.fill()
    // SQLite may still have room in its own files for a message or two: send until one is refused.
    let refused = ''
    for (let i = 0; i < 200 && !refused; i++) {
      const reply = await sendRawFrame(port, adt(`FULL${i}`))
      if (!new RegExp(`\\rMSA\\|AA\\|FULL${i}(\\||\\r|$)`).test(reply)) {
        expect(reply).toMatch(new RegExp(`\\rMSA\\|AE\\|FULL${i}(\\||\\r|$)`))
        refused = `FULL${i}`
      }
    }
    expect(refused, 'the disk never refused a message').not.toBe('')
    const banner = page.getByTestId('storage-banner')
    await expect(banner).toHaveAttribute('data-state', 'full')
    await expect(banner).toContainText('received messages are being refused')
    await expect(banner).toContainText(dataDir)
    await expect(page.getByText('The disk is full', { exact: true })).toBeVisible()
    await go(page, 'Connections')
    await expect(page.getByTestId('storage-banner')).toHaveAttribute('data-state', 'full')
    await keepScreenshot(page, 'disk-full-banner')

    unlinkSync(filler)
    // Nothing is sent: the engine's own probe notices the space (every 5 s); 40-odd MB free of 48 is not low.
    await expect(page.getByTestId('storage-banner')).toHaveCount(0, { timeout: 30_000 })
    expect(await sendRawFrame(port, adt(refused))).toMatch(new RegExp(`\\rMSA\\|AA\\|${refused}(\\||\\r|$)`))
    await page.getByTestId('notification-bell').click()
    const bell = page.getByRole('dialog')
    await expect(bell.getByText('Disk space: storing again')).toBeVisible()
    await expect(bell.getByText(/1 received message was refused/)).toBeVisible()
  } finally {
    await serve.stop()
    disk.unmount()
  }
})
