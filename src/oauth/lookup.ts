/**
 * @module Finding a presented token among every type this server issues, for revocation
 * (RFC 7009 §2.1) and introspection (RFC 7662 §2.1).
 */
import { sha256Hex } from '../crypto/token'
import {
  type AccessTokenInfo,
  readAccessTokenByHash,
  readRefreshTokenByHash,
  type RefreshTokenInfo,
} from './store/tokens'

/** A live (unexpired) token, with the digest it is stored under. */
export type FoundToken =
  | { type: 'access_token'; hash: string; info: AccessTokenInfo }
  | { type: 'refresh_token'; hash: string; info: RefreshTokenInfo }

const ACCESS_FIRST = ['access_token', 'refresh_token'] as const
const REFRESH_FIRST = ['refresh_token', 'access_token'] as const

/**
 * The unexpired token `token` is, or null. `token_type_hint` only orders the search: a wrong
 * hint still finds the token ("MUST extend its search across all of its supported token types")
 * and an unknown hint is ignored, so `unsupported_token_type` never arises here.
 */
export async function findToken(kv: KVNamespace, token: string, hint: string | null): Promise<FoundToken | null> {
  const hash = sha256Hex(token)
  const order = hint === 'refresh_token' ? REFRESH_FIRST : ACCESS_FIRST
  for (const type of order) {
    if (type === 'access_token') {
      const info = await readAccessTokenByHash(kv, hash)
      if (info && info !== 'expired') return { type, hash, info }
    } else {
      const info = await readRefreshTokenByHash(kv, hash)
      if (info && info !== 'expired') return { type, hash, info }
    }
  }
  return null
}
