/** @module The refresh token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700 §4.14.2). */
import { sha256Hex } from '../crypto/token'
import { refreshForClient, rotateRefreshToken } from '../tokens/service'
import { formatScope, parseScope } from '../oauth/scopes'
import type { ClientClaim } from '../store/families'
import type { ClientCredentials } from '../auth/client-auth'
import { defineGrant, type GrantRequest, readClientRow } from './grant'

const applicationGrantTypes = ['authorization-code', 'password'] as const
const clientTypes = ['confidential', 'public'] as const

/** The requested scope, or undefined when it is invalid (the error is then thrown after the client's). */
function requestedScope(form: URLSearchParams): string | null | undefined {
  try {
    const requested = parseScope(form.get('scope'), 'refresh_token')
    return requested && formatScope(requested)
  } catch {
    return undefined
  }
}

/** The client as D1 can check it (a secret's digest, or a public client's none); null for any other method. */
function claimOf(creds: ClientCredentials): ClientClaim | null {
  if (!creds.clientId || !['basic', 'body', 'none'].includes(creds.method)) return null
  const secretHash = creds.secret === null ? null : sha256Hex(creds.secret)
  return { clientId: creds.clientId, secretHash, grantTypes: applicationGrantTypes, clientTypes }
}

/** The classic path: the client already authenticated, the refresh record read from KV. */
function rotate({ deps, form, app, params }: Omit<GrantRequest<'refresh_token'>, 'c'>) {
  const requested = parseScope(form.get('scope'), 'refresh_token')
  return rotateRefreshToken(deps, app, { token: params.refresh_token, scope: requested && formatScope(requested) })
}

export const refreshTokenGrant = defineGrant({
  required: [{ name: 'refresh_token', message: 'Missing refresh token parameter.' }],
  // Only the grants that issue refresh tokens (client_credentials does not, §4.4.3).
  applicationGrantTypes,
  clientTypes,
  issue: rotate,
  // The usual case in one D1 round trip: the client's row and the rotation in one batch.
  async issueAdmitting({ deps, form, creds, admit }) {
    const token = form.get('refresh_token')
    const scope = requestedScope(form)
    const claim = claimOf(creds)
    if (!token || scope === undefined || !claim) {
      const { app, params } = await admit(await readClientRow(deps.db, creds))
      return rotate({ deps, form, app, params: params as Record<'refresh_token', string> })
    }
    return refreshForClient(deps, claim, { token, scope }, async (row) => (await admit(row)).app)
  },
})
