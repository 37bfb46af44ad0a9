/**
 * @module Finding a presented token among every type this server issues, for revocation
 * (RFC 7009 §2.1) and introspection (RFC 7662 §2.1), and whether an access token is still live.
 */
import { sha256Hex } from '../crypto/token'
import { findApplication, isClientTokenCurrent } from '../store/applications'
import { findFamily, findFamilyByRefreshHash } from '../store/families'
import type { AccessTokenInfo } from '../store/tokens'
import type { TokenDeps } from './deps'

/**
 * A token this server issued, with its digest: an unexpired access token's record, or the grant a
 * refresh token (current, or rotated out and not yet expired) belongs to.
 */
export type FoundToken =
  | { type: 'access_token'; hash: string; info: AccessTokenInfo }
  | { type: 'refresh_token'; hash: string; info: { applicationId: number; familyId: string } }

const ACCESS_FIRST = ['access_token', 'refresh_token'] as const
const REFRESH_FIRST = ['refresh_token', 'access_token'] as const

/**
 * The unexpired token `token` is, or null. `token_type_hint` only orders the search: a wrong
 * hint still finds the token ("MUST extend its search across all of its supported token types")
 * and an unknown hint is ignored, so `unsupported_token_type` never arises here.
 */
export async function findToken(deps: TokenDeps, token: string, hint: string | null): Promise<FoundToken | null> {
  const order = hint === 'refresh_token' ? REFRESH_FIRST : ACCESS_FIRST
  for (const type of order) {
    if (type === 'access_token') {
      const found = await deps.accessTokens.read(token)
      if (found && found !== 'expired') return { type, ...found }
    } else {
      const hash = sha256Hex(token)
      const family = await findFamilyByRefreshHash(deps.db, hash, deps.clock)
      if (family) return { type, hash, info: { applicationId: family.applicationId, familyId: family.id } }
    }
  }
  return null
}

/**
 * Whether an access token is still the live one of its grant. KV may lag a revocation or rotation
 * made elsewhere by up to ~60 s; D1 does not, so introspection answers with strong consistency.
 */
export async function isCurrentAccessToken(
  deps: TokenDeps,
  found: FoundToken & { type: 'access_token' },
): Promise<boolean> {
  // A client_credentials token has no grant: it is live while its application and secret are.
  if (!found.info.familyId) {
    return isClientTokenCurrent(await findApplication(deps.db, found.info.applicationId), found.info)
  }
  const family = await findFamily(deps.db, found.info.familyId)
  // A user deactivated (or deleted) in D1 is no one a resource server should act for, as our own API refuses them.
  return family !== undefined && family.revokedAt === null && family.accessHash === found.hash && family.userActive
}
