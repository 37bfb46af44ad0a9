/**
 * @module An MCP server Worker protected by edge-oauth-toolkit: the resource-server kit checks
 * every request's access token (a JWT for this resource, or an opaque token the authorization
 * server vouches for), serves this server's RFC 9728 document, and answers MCP clients' 401s
 * with the challenge that starts their OAuth flow. Two tools read the authorization server's data.
 *
 * Stateless Streamable HTTP (MCP 2025-06-18 and later): each POST gets its own server and
 * transport, so nothing is kept between requests and any isolate can answer.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import {
  protectedResourceMetadata,
  type RequireAccessTokenOptions,
  requireAccessToken,
  resourceMetadataPath,
  type VerifiedAccessToken,
} from 'edge-oauth-toolkit/resource-server'
import { Hono } from 'hono'

type Env = {
  AUTH: Fetcher
  DB: D1Database
  ISSUER: string
  RESOURCE: string
  INTROSPECTION_CLIENT_ID: string
  INTROSPECTION_CLIENT_SECRET: string
}

/** What this resource accepts: tokens for RESOURCE from ISSUER with `read`; `list_groups` also needs `groups`. */
const protection = (env: Env): RequireAccessTokenOptions => ({
  issuer: env.ISSUER,
  audience: env.RESOURCE,
  scopes: ['read'],
  scopesSupported: ['read', 'groups'],
  name: 'Example MCP server',
  fetcher: env.AUTH,
  ...(env.INTROSPECTION_CLIENT_ID && {
    introspection: {
      service: env.AUTH,
      clientId: env.INTROSPECTION_CLIENT_ID,
      clientSecret: env.INTROSPECTION_CLIENT_SECRET,
    },
  }),
})

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] })

/** The MCP server for one request, its tools reading as the token's user. */
function mcpServer(env: Env, token: VerifiedAccessToken): McpServer {
  const server = new McpServer({ name: 'edge-oauth-toolkit-example', version: '0.1.0' })
  server.registerTool('whoami', { description: 'Who the access token was issued to, and for what.' }, async () => {
    const user = await env.DB.prepare('select id, username, email from users where id = ?')
      .bind(Number(token.subject))
      .first<{ id: number; username: string; email: string }>()
    return text({ user, client_id: token.clientId, scope: token.scopes.join(' '), aud: token.audience })
  })
  server.registerTool('list_groups', { description: 'The groups on the authorization server.' }, async () => {
    if (!token.scopes.includes('groups')) {
      return { ...text({ error: 'This tool needs the groups scope.' }), isError: true }
    }
    const { results } = await env.DB.prepare('select name from groups order by name').all<{ name: string }>()
    return text(results.map((g) => g.name))
  })
  return server
}

const app = new Hono<{ Bindings: Env }>()

// RFC 9728 §3.1: the document of resource https://host/mcp is at /.well-known/oauth-protected-resource/mcp.
app.get('/.well-known/oauth-protected-resource/*', (c, next) => {
  if (c.req.path !== resourceMetadataPath(c.env.RESOURCE)) return c.notFound()
  return protectedResourceMetadata(protection(c.env))(c, next)
})

app.all('/mcp', requireAccessToken(protection), async (c) => {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  })
  await mcpServer(c.env, c.get('accessToken')).connect(transport)
  return transport.handleRequest(c.req.raw)
})

export default app
