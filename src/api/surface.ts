/** @module The API surface: the users/groups REST API. Every error is DRF's `{"detail"}` (or its field errors). */
import { Hono, type ErrorHandler } from 'hono'
import type { AppEnv } from '../env'
import { ApiError, BodyTooLarge, serverFailure, ValidationError } from '../errors'
import type { Surface } from '../http/surface'
import { BearerRefused, bearerApiError } from '../auth/bearer'
import { apiResourceUri, resourceMetadataUrl } from '../oauth/resources'
import { userRoutes } from './users'
import { groupRoutes } from './groups'

const routes = new Hono<AppEnv>()
routes.route('/', userRoutes)
routes.route('/', groupRoutes)

/** Renders an ApiError as DRF does: `{"detail": …}` with its status and headers. */
function apiErrorResponse(c: Parameters<ErrorHandler<AppEnv>>[1], err: ApiError): Response {
  return c.json({ detail: err.detail }, err.status, err.headers)
}

/** Every error as DRF renders it: `{"detail"}`, or `{"field": ["message"]}` with 400. */
export const apiOnError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) return apiErrorResponse(c, err)
  if (err instanceof ValidationError) return c.json(err.fields, 400)
  if (err instanceof BearerRefused) {
    return apiErrorResponse(c, bearerApiError(err, resourceMetadataUrl(apiResourceUri(c))))
  }
  if (err instanceof BodyTooLarge) return apiErrorResponse(c, new ApiError(413, 'Request body too large.'))
  const { unavailable, status, headers } = serverFailure(c, err)
  const detail = unavailable ? 'Service temporarily unavailable, try again later.' : 'A server error occurred.'
  return c.json({ detail }, status, headers)
}

/** The users/groups API. */
export const apiSurface: Surface = { paths: ['/users/*', '/groups/*'], routes, onError: apiOnError }
