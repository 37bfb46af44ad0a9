/**
 * @module Where a protected resource's metadata is (RFC 9728 §3.1): one implementation for the
 * built-in API (src/protocol/resource-metadata.ts, the API's 401 challenges) and the
 * resource-server kit, which imports nothing of the server but leaves like this one.
 */

/** The well-known path RFC 9728 §3 registers. */
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource'

/**
 * The metadata URL of a resource identifier (RFC 9728 §3.1): the well-known path is inserted
 * between the host and the path and query, and a path of `/` alone adds nothing.
 *
 * @example resourceMetadataUrl('https://mcp.example.com/mcp') // 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  const path = url.pathname === '/' ? '' : url.pathname
  return `${url.origin}${RESOURCE_METADATA_PATH}${path}${url.search}`
}
