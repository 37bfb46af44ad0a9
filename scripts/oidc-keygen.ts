/**
 * `npm run oidc:keygen`: prints a value for the OIDC_PRIVATE_KEYS secret: a JSON array holding one
 * new RS256 private key. Nothing is written anywhere unless asked. Usage: USAGE below.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { JWK } from 'jose'
import { ensureEnvFileKey, newKeySet } from './lib/oidc-keys'

const USAGE = `usage: npm run -s oidc:keygen [-- options]

Prints a value for the OIDC_PRIVATE_KEYS secret (a JSON array with one new RS256 private key):
  npm run -s oidc:keygen > oidc-keys.json     # keep this file safe: rotation needs it
  npx wrangler secret put OIDC_PRIVATE_KEYS < oidc-keys.json

options:
  --previous <file>        rotation: keep the current key of <file> (a JSON array of JWKs or
                           {"keys": [...]}) published after the new one, so id_tokens it signed
                           still verify
  --dev-key-file <file>    local development (npm start does this): add a key to a dotenv file
                           that has none; prints nothing
  -h, --help               this text`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      previous: { type: 'string' },
      'dev-key-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const devKeyFile = values['dev-key-file']
  if (devKeyFile) {
    if (await ensureEnvFileKey(devKeyFile))
      console.error(`oidc:keygen: added a development signing key to ${devKeyFile}`)
    return
  }
  let previous: JWK[] | undefined
  if (values.previous) {
    const parsed = JSON.parse(readFileSync(values.previous, 'utf8'))
    previous = Array.isArray(parsed) ? parsed : parsed.keys
    if (!Array.isArray(previous)) throw new Error('--previous: expected a JSON array of JWKs or {"keys": [...]}')
  }
  process.stdout.write(`${JSON.stringify(await newKeySet(previous))}\n`)
}

// process.exitCode, not process.exit(): the key set may still be on its way down a pipe.
main().catch((err: unknown) => {
  // A bad flag gets the usage (exit 2, as the admin CLI does); anything else one line, no stack trace.
  if (String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) {
    console.error(`oidc:keygen: ${(err as Error).message}\n\n${USAGE}`)
    process.exitCode = 2
    return
  }
  console.error(`oidc:keygen: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
  process.exitCode = 1
})
