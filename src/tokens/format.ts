/**
 * @module The seam between the token service and what an access token looks like on the wire.
 * Today's format is opaque: a random string whose digest keys a record in KV (./opaque.ts). A
 * self-contained format such as a JWT access token (RFC 9068) implements the same interface: it
 * signs the claims in `mint`, stores nothing in `store`, verifies the signature in `read`, and
 * keeps a deny-list for `revoke`. The grant (token family) records `hash`, so revoking a grant
 * reaches its current access token whatever the format.
 */
import type { AccessTokenInfo } from '../store/tokens'

/**
 * A new token's identity, chosen before its claims are final: refresh rotation writes `hash` into
 * the family row in the same D1 batch that reads the grant's scope (./service.ts).
 */
export type AccessTokenId = {
  /** What the grant records and `revoke` takes: the digest of the opaque token, or of a JWT's `jti`. */
  hash: string
  /** Format-private: the opaque token itself, or a JWT's `jti`. Never stored, never logged. */
  secret: string
}

/** An access token made for given claims, not yet stored. */
export type MintedAccessToken = { token: string; hash: string; info: AccessTokenInfo }

/** How to mint: the format the token's resources want, and (for a JWT's `auth_time`) when the user signed in. */
export type MintOptions = { format?: 'opaque' | 'jwt'; authTime?: number | null }

/** A presented access token that the format recognised and whose `exp` has not passed. */
export type PresentedAccessToken = { hash: string; info: AccessTokenInfo }

/** How access tokens are made, found and withdrawn. */
export interface AccessTokenFormat {
  /** A fresh identity for a token about to be minted. */
  newId(): AccessTokenId
  /**
   * The token the client receives for these claims, under `id` (a fresh one when omitted), in
   * `options.format` where the implementation offers more than one. Async: a JWT is signed.
   */
  mint(info: AccessTokenInfo, id?: AccessTokenId, options?: MintOptions): Promise<MintedAccessToken>
  /** Makes a minted token valid (opaque: its KV record). */
  store(token: MintedAccessToken): Promise<void>
  /** The presented token's claims: null if unknown (or revoked), 'expired' past its `exp`. */
  read(token: string): Promise<PresentedAccessToken | 'expired' | null>
  /** Ends the token recorded under `hash`, at once for every later `read`. */
  revoke(hash: string): Promise<void>
}
