/**
 * @module The opaque access token format: 256 random bits, stored in KV under their SHA-256
 * (src/store/tokens.ts), so a token is valid exactly while its record is there.
 */
import type { Clock } from '../clock'
import { newSecret, sha256Hex } from '../crypto/token'
import { deleteAccessToken, putAccessToken, readAccessTokenByHash } from '../store/tokens'
import type { AccessTokenFormat, AccessTokenId } from './format'

/** A fresh token identity: 256 random bits and their digest (a JWT access token uses them as its `jti`). */
export function newId(): AccessTokenId {
  const { token, hash } = newSecret()
  return { hash, secret: token }
}

/** Today's access tokens: opaque, their records in `kv`, their expiry judged by `clock`. */
export function opaqueAccessTokens(kv: KVNamespace, clock: Clock): AccessTokenFormat {
  return {
    newId,
    mint: async (info, id = newId()) => ({ token: id.secret, hash: id.hash, info }),
    store: (token) => putAccessToken(kv, token.hash, token.info, clock),
    async read(token) {
      const hash = sha256Hex(token)
      const info = await readAccessTokenByHash(kv, hash, clock)
      return info === null || info === 'expired' ? info : { hash, info }
    },
    revoke: (hash) => deleteAccessToken(kv, hash),
  }
}
