/**
 * @module The cleanup's statements where the admin CLI (scripts/admin/commands.ts) imports them
 * from. They live in the store (src/store/cleanup.ts); this line goes when the CLI imports them
 * from there.
 */
export { CLEANUP_BATCH, cleanupStatements } from '../store/cleanup'
