/**
 * @module This resource's own protected-resource metadata (RFC 9728): where it is served, and the
 * handler that serves it. Clients (the MCP SDKs among them) read it to learn which authorization
 * server issues tokens for this resource and which scopes to ask for.
 */
import type { Handler } from 'hono'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'

/**
 * The metadata URL of a resource identifier (RFC 9728 §3.1): the well-known suffix is inserted
 * between the host and the path, and a path of `/` alone adds nothing.
 *
 * @example resourceMetadataUrl('https://mcp.example.com/mcp') // 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  const path = url.pathname === '/' ? '' : url.pathname
  return `${url.origin}${WELL_KNOWN}${path}`
}

/** The path part of {@link resourceMetadataUrl}, to mount the handler at. */
export const resourceMetadataPath = (resource: string): string => new URL(resourceMetadataUrl(resource)).pathname

/** What the metadata says; the same object `requireAccessToken` takes will do. */
export type ResourceMetadataOptions = {
  /** The authorization server's issuer identifier (RFC 8414 §2). */
  issuer: string
  /** This resource's identifier (RFC 8707 §2), the `aud` of its tokens. */
  audience: string
  /** The scopes a request needs; listed as `scopes_supported` unless that is given. */
  scopes?: readonly string[]
  /** The scopes this resource understands (`scopes_supported`): MCP clients ask for all of them. */
  scopesSupported?: readonly string[]
  /** A human-readable name (`resource_name`). */
  name?: string
}

/**
 * A Hono handler answering this resource's RFC 9728 §3.2 document. Readable from any origin:
 * browser-based clients fetch it cross-origin, and it holds nothing secret.
 *
 * @example app.get(resourceMetadataPath(options.audience), protectedResourceMetadata(options))
 */
export function protectedResourceMetadata(options: ResourceMetadataOptions): Handler {
  const scopes = options.scopesSupported ?? options.scopes ?? []
  const document = JSON.stringify({
    resource: options.audience,
    authorization_servers: [options.issuer],
    ...(scopes.length && { scopes_supported: [...scopes] }),
    bearer_methods_supported: ['header'],
    ...(options.name && { resource_name: options.name }),
  })
  return function protectedResourceMetadata() {
    return new Response(document, {
      headers: {
        'Content-Type': 'application/json',
        'Cache-Control': 'public, max-age=300',
        'Access-Control-Allow-Origin': '*',
      },
    })
  }
}
