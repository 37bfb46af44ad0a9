/** @module The Worker's `scheduled` handler: the Cron Trigger's hourly cleanup of D1. */
import { runCleanup } from '../store/cleanup'
import { readSettings } from '../config'

/** Deletes what can no longer matter (see src/store/cleanup.ts) and logs one line with the counts. */
export async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const started = Date.now()
  const { cron } = controller
  try {
    const now = Math.floor(controller.scheduledTime / 1000)
    const deleted = await runCleanup(env.DB, now, readSettings(env).unusedClientDays)
    console.log(JSON.stringify({ level: 'info', event: 'cleanup', cron, ...deleted, ms: Date.now() - started }))
  } catch (err) {
    // The error's class only, as in onError; rethrown so the run shows as failed.
    console.error(JSON.stringify({ level: 'error', event: 'cleanup_failed', cron, error: (err as Error).name }))
    throw err
  }
}
