/** @module The error page: for requests that cannot be sent back to a client (RFC 6749 §4.1.2.1). */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../../env'
import { Layout } from './layout'
import type { Session } from '../session'

type ErrorProps = { title: string; detail: string; session: Session | null }

const ErrorPage = ({ title, detail, session }: ErrorProps) => (
  <Layout title={title} session={session} narrow>
    <h1>{title}</h1>
    <div class="alert error" role="alert">
      {detail}
    </div>
    <p>
      <a href="/">Back to the home page</a>
    </p>
  </Layout>
)

/** Answers with the error page; `title` and `detail` must say what went wrong without echoing secrets. */
export function renderError(c: Context<AppEnv>, status: ContentfulStatusCode, title: string, detail: string) {
  return c.html(<ErrorPage title={title} detail={detail} session={c.get('session') ?? null} />, status)
}

/**
 * The answer to a method a page does not take: 405 with `Allow` (RFC 9110 §15.5.6), as a page
 * rather than the API's JSON, since browsers are who call these routes.
 */
export const methodNotAllowed = (allow: string) =>
  function methodNotAllowed(c: Context<AppEnv>) {
    c.header('Allow', allow)
    return renderError(c, 405, 'Method not allowed', `This address answers ${allow} requests only.`)
  }
