/**
 * @module Ending everything a client holds before it is deleted (RFC 7592 §2.3): its grants in D1,
 * then their access and refresh tokens in KV. Deleting the row alone would cascade the grants away
 * but leave their access tokens readable in KV until they expire.
 */
import type { TokenDeps } from './deps'
import { revokeGrantsOfApplication } from '../store/client-registration'
import { deleteRefreshToken } from '../store/tokens'

/** Revokes every live grant of the application and deletes their tokens from KV. */
export async function revokeClientGrants(deps: TokenDeps, applicationId: number): Promise<void> {
  const revoked = await revokeGrantsOfApplication(deps.db, applicationId, deps.clock.now())
  await Promise.all(
    revoked.flatMap((family) => [
      family.accessHash ? deps.accessTokens.revoke(family.accessHash) : undefined,
      family.refreshHash ? deleteRefreshToken(deps.kv, family.refreshHash) : undefined,
    ]),
  )
}
