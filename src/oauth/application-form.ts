/**
 * @module The application form's fields, read and checked: each problem is reported next to the
 * field that caused it. Redirect URIs follow RFC 9700 §2.1 / RFC 8252 (src/oauth/redirect-uris.ts).
 */
import { isLoopbackHost, redirectUriProblems } from './redirect-uris'
import {
  type ApplicationFields,
  CLIENT_TYPES,
  type ClientType,
  GRANT_TYPES,
  type GrantType,
} from '../store/applications'

/** Messages per form field, shown beside it. */
export type FieldErrors = Partial<Record<keyof ApplicationFields, string[]>>

/** The labels the form shows for each choice (DOT's wording). */
export const GRANT_TYPE_LABELS: Record<GrantType, string> = {
  'authorization-code': 'Authorization code',
  password: 'Resource owner password-based',
  'client-credentials': 'Client credentials',
}
export const CLIENT_TYPE_LABELS: Record<ClientType, string> = { confidential: 'Confidential', public: 'Public' }

const NAME_MAX = 255
const spaced = (value: string) => value.split(/\s+/).filter(Boolean).join(' ')

/** Why `value` cannot be an allowed CORS origin, or null: scheme://host[:port] exactly, https unless loopback. */
function originProblem(value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `${value} is not an origin such as https://app.example.`
  }
  if (url.origin !== value) return `${value} is not an origin: scheme, host and port only, no path or trailing slash.`
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return `${value} must use https (plain http is allowed for loopback hosts only).`
  }
  return null
}

/**
 * The fields from a submitted form, and the problems with them (none when it can be saved). A
 * posted `skip_authorization` is ignored: that flag is not the owner's to set (ApplicationFields).
 */
export function readApplicationForm(form: URLSearchParams): { fields: ApplicationFields; errors: FieldErrors } {
  const fields: ApplicationFields = {
    name: (form.get('name') ?? '').trim(),
    clientType: (form.get('client_type') ?? '') as ClientType,
    authorizationGrantType: (form.get('authorization_grant_type') ?? '') as GrantType,
    redirectUris: spaced(form.get('redirect_uris') ?? ''),
    allowedOrigins: spaced(form.get('allowed_origins') ?? ''),
  }
  const errors: FieldErrors = {}
  const add = (field: keyof ApplicationFields, message: string) => {
    errors[field] = [...(errors[field] ?? []), message]
  }

  if (!fields.name) add('name', 'Give the application a name.')
  else if (fields.name.length > NAME_MAX) add('name', `Use at most ${NAME_MAX} characters.`)
  if (!CLIENT_TYPES.includes(fields.clientType)) add('clientType', 'Choose a client type.')
  if (!GRANT_TYPES.includes(fields.authorizationGrantType))
    add('authorizationGrantType', 'Choose an authorization grant type.')
  // RFC 6749 §4.4: only a client that can keep a secret may act on its own behalf.
  if (fields.authorizationGrantType === 'client-credentials' && fields.clientType === 'public') {
    add('clientType', 'Client credentials need a confidential client: a public client has no secret.')
  }
  for (const problem of redirectUriProblems(fields.redirectUris)) add('redirectUris', problem)
  // RFC 6749 §3.1.2.2: the code flow redirects only to registered URIs, so it needs one.
  if (fields.authorizationGrantType === 'authorization-code' && !fields.redirectUris) {
    add('redirectUris', 'The authorization code grant needs at least one redirect URI.')
  }
  for (const origin of fields.allowedOrigins.split(' ').filter(Boolean)) {
    const problem = originProblem(origin)
    if (problem) add('allowedOrigins', problem)
  }
  return { fields, errors }
}
