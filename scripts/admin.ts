/**
 * `npm run admin -- <command>`: users, groups, applications and tokens in D1 and KV (the D1
 * console, made usable). Local database by default, opened in this process as `npm start` serves
 * it (pending local migrations are applied first, so it works on a fresh clone), `--remote` for the
 * deployed one; `--json` prints exactly one JSON object on stdout; `--print-sql` prints the SQL
 * instead of running it. The run: scripts/admin/main.ts; usage: scripts/admin/commands.ts;
 * docs/admin-cli.md.
 */
import { runCli } from './admin/main'

runCli(process.argv.slice(2)).then((code) => process.exit(code))
