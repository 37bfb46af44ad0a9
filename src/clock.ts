/**
 * @module Time, in whole seconds since the epoch (the unit every stored timestamp and token claim
 * uses). Code that needs the time takes a `Clock` rather than calling `Date.now()`, so the admin
 * CLI, the cron and tests can say what "now" is.
 */

/** A source of the current time. */
export type Clock = { now(): number }

/** The production clock: the system's time, in seconds. */
export const systemClock: Clock = { now: () => Math.floor(Date.now() / 1000) }
