/**
 * @module The resource-server kit: what another Worker imports (`edge-oauth-toolkit/resource-server`)
 * to accept this authorization server's access tokens. It imports nothing of the server itself
 * but the bearer-header reader, so it bundles small.
 *
 * @example
 * const auth = { issuer: 'https://auth.example.com', audience: 'https://mcp.example.com/mcp', scopes: ['mcp'] }
 * app.get(resourceMetadataPath(auth.audience), protectedResourceMetadata(auth))
 * app.use('/mcp', requireAccessToken(auth))
 */
export { AccessTokenRefused, type RefusalCode } from './challenge'
export type { FetcherLike } from './issuer'
export type { IntrospectionOptions } from './introspection'
export {
  protectedResourceMetadata,
  type ResourceMetadataOptions,
  resourceMetadataPath,
  resourceMetadataUrl,
} from './metadata'
export { type RequireAccessTokenOptions, requireAccessToken, type VerifiedAccessToken } from './middleware'
