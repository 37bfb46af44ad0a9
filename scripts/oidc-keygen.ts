/**
 * `npm run oidc:keygen`: prints a value for the OIDC_PRIVATE_KEYS secret: a JSON array holding one
 * new RS256 private key. Nothing is written anywhere unless asked:
 *   npm run -s oidc:keygen | sh scripts/wrangler.sh secret put OIDC_PRIVATE_KEYS
 * Rotation, keeping the current key published so id_tokens it signed still verify:
 *   npm run -s oidc:keygen -- --previous current.json | sh scripts/wrangler.sh secret put OIDC_PRIVATE_KEYS
 * For local development (`npm start` does this): adds a key to a dotenv file that lacks one:
 *   npm run -s oidc:keygen -- --dev-key-file .wrangler/oidc-dev-key.env
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { JWK } from 'jose'
import { ensureEnvFileKey, newKeySet } from './lib/oidc-keys'

const { values } = parseArgs({ options: { previous: { type: 'string' }, 'dev-key-file': { type: 'string' } } })

const devKeyFile = values['dev-key-file']
if (devKeyFile) {
  if (await ensureEnvFileKey(devKeyFile)) console.error(`oidc:keygen: added a development signing key to ${devKeyFile}`)
} else {
  let previous: JWK[] | undefined
  if (values.previous) {
    const parsed = JSON.parse(readFileSync(values.previous, 'utf8'))
    previous = Array.isArray(parsed) ? parsed : parsed.keys
    if (!Array.isArray(previous)) throw new Error('--previous: expected a JSON array of JWKs or {"keys": [...]}')
  }
  process.stdout.write(`${JSON.stringify(await newKeySet(previous))}\n`)
}
