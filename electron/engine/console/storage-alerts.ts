/**
 * A full disk raised as a notification, engine-wide (practice null): a toast and a bell entry when
 * it starts, and a stored account of the episode when the engine can write again. The first may
 * not be storable (the disk is full): then it is pushed as an event only, so the toast still shows.
 */
import { randomUUID } from 'node:crypto'
import type { Clock } from '../core/clock'
import type { EventBus } from '../core/event-bus'
import type { Logger } from '../core/logger'
import type { StorageEpisode, StorageHealth } from '../core/storage-health'
import type { Alerts } from './alerts'

const FULL_TITLE = 'The disk is full'
const FULL_MESSAGE =
  'Received messages cannot be stored: senders are answered AE/CE and will resend them. Free space on the disk holding the data folder; the engine goes on by itself.'

export function raiseStorageNotifications(d: { storage: StorageHealth; alerts: Alerts; events: EventBus; clock: Clock; logger: Logger }): () => void {
  return d.storage.listen((state, episode) => {
    if (state === 'full') {
      try {
        d.alerts.raise(null, null, 'error', FULL_TITLE, FULL_MESSAGE)
      } catch {
        d.events.emit('notifications.raised', { id: randomUUID(), level: 'error', title: FULL_TITLE, message: FULL_MESSAGE, practiceId: null, at: d.clock.now() })
      }
      return
    }
    if (!episode) return
    try {
      d.alerts.raise(null, null, 'warning', 'Disk space: storing again', recoveredMessage(episode))
    } catch (e) {
      d.logger.error('could not store the end of a full-disk episode as a notification', { error: (e as Error).message })
    }
  })
}

function recoveredMessage(e: StorageEpisode): string {
  const minutes = Math.round((e.until - e.since) / 60_000)
  return `The disk holding the data folder was full from ${new Date(e.since).toISOString()} to ${new Date(e.until).toISOString()} (${minutes < 1 ? 'under a minute' : `about ${minutes} min`}): ${e.refused} received message${e.refused === 1 ? ' was' : 's were'} refused (AE/CE). Senders resend refused messages on their own; one whose retries ran out must resend them by hand. Nothing stored before was lost.`
}
