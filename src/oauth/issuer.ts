/** @module The issuer identifier (RFC 8414 §2, OpenID Connect Discovery §3, RFC 9207 `iss`). */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { readSettings } from '../config'

/**
 * The `ISSUER` var when set (the public https origin of a deployment), else the origin the request
 * came to, so `npm start` on 127.0.0.1 works with no setting. Endpoint URLs are built on it.
 */
export const issuerUrl = (c: Context<AppEnv>): string => readSettings(c.env).issuer || new URL(c.req.url).origin
