/** @module The consent page: which application asks, for what, and where the answer goes. */
import type { Context } from 'hono'
import type { FC } from 'hono/jsx'
import type { AppEnv } from '../../env'
import { SCOPES, type Scope } from '../../config'
import type { Session } from '../session'
import { CsrfInput, Layout } from './layout'

type ConsentProps = {
  session: Session
  csrfToken: string
  appName: string
  scopes: readonly Scope[]
  /** The APIs (RFC 8707 resources) the access would be for. */
  resources: readonly { uri: string; name: string }[]
  redirectUri: string
  /**
   * Set when the client registered itself (RFC 7591, or a Client ID Metadata Document): nobody
   * here checked who runs it, and `host` is where it says it lives (the document's host, or the
   * host of its redirect URI), shown prominently since anyone can publish a document or register.
   */
  unverified?: { host: string }
  /** The request's parameters, posted back as hidden fields (as django-oauth-toolkit's form does). */
  hidden: readonly [string, string][]
}

/** Where the browser goes after the answer, as a person reads it: the host (and scheme if not https). */
function destination(uri: string): string {
  try {
    const url = new URL(uri)
    return url.host ? (url.protocol === 'https:' ? url.host : `${url.protocol}//${url.host}`) : url.protocol
  } catch {
    return uri
  }
}

const ConsentPage: FC<ConsentProps> = ({
  session,
  csrfToken,
  appName,
  scopes,
  resources,
  redirectUri,
  unverified,
  hidden,
}) => (
  <Layout title={`Authorize ${appName}?`} session={session} narrow>
    <h1>Authorize {appName}?</h1>
    {unverified && (
      <p class="alert warn" role="alert">
        <strong>Not verified.</strong> This application registered itself: its name is its own claim. It is run from{' '}
        <strong class="mono">{unverified.host}</strong>. Allow it only if you trust that site.
      </p>
    )}
    <form class="card" method="post" action="/o/authorize/">
      <p class="consent-app">
        <strong>{appName}</strong> wants to access your account <strong>{session.user.username}</strong>.
      </p>
      <p class="muted small">The application would be able to:</p>
      <ul class="scopes">
        {scopes.map((scope) => (
          <li>
            {SCOPES[scope]} <span class="muted small">({scope})</span>
          </li>
        ))}
      </ul>
      <p class="muted small">At:</p>
      <ul class="resources">
        {resources.map((resource) => (
          <li>
            {resource.name || resource.uri} <span class="muted small mono">({resource.uri})</span>
          </li>
        ))}
      </ul>
      <p class="muted small">
        Afterwards you go back to <strong class="mono">{destination(redirectUri)}</strong>. You can withdraw this access
        at any time under <a href="/o/authorized_tokens/">Authorized apps</a>.
      </p>
      <CsrfInput token={csrfToken} />
      {hidden.map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <div class="actions">
        <button type="submit" name="allow" value="Authorize">
          Authorize
        </button>
        <button type="submit" class="secondary">
          Cancel
        </button>
      </div>
    </form>
  </Layout>
)

/** Answers with the consent page (200). */
export const renderConsent = (c: Context<AppEnv>, props: ConsentProps) => c.html(<ConsentPage {...props} />)
