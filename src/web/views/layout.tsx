/** @module The frame every page shares: header with navigation and account, one inline stylesheet. */
import type { Child, FC } from 'hono/jsx'
import { raw } from 'hono/html'
import type { Session } from '../session'
import { CSRF_FIELD, sessionCsrfToken } from '../csrf'
import { SCRIPT, STYLESHEET } from './assets'

export type Nav = 'home' | 'applications' | 'tokens' | 'admin' | 'login' | null

type LayoutProps = { title: string; session: Session | null; nav?: Nav; narrow?: boolean; children?: Child }

const NAV_LINKS: Array<[Exclude<Nav, null | 'login' | 'admin'>, string, string]> = [
  ['home', '/', 'Home'],
  ['applications', '/o/applications/', 'Applications'],
  ['tokens', '/o/authorized_tokens/', 'Authorized apps'],
]

/** A hidden input with the CSRF token of the page's session (or of the sign-in form). */
export const CsrfInput: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />

const Account: FC<{ session: Session | null }> = ({ session }) =>
  session ? (
    <form class="who" method="post" action="/accounts/logout/">
      <span>
        <span class="who-label">Signed in as </span>
        <strong>{session.user.username}</strong>
      </span>
      <CsrfInput token={sessionCsrfToken(session)} />
      <button type="submit" class="link">
        Sign out
      </button>
    </form>
  ) : (
    <a class="who" href="/accounts/login/">
      Sign in
    </a>
  )

/** The HTML document around a page's content. */
export const Layout: FC<LayoutProps> = ({ title, session, nav = null, narrow = false, children }) => (
  <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · edge-oauth-toolkit`}</title>
        <style>{raw(STYLESHEET)}</style>
      </head>
      <body>
        <header class="top">
          <div class="bar">
            <a class="brand" href="/">
              edge-oauth-toolkit
            </a>
            <nav class="main" aria-label="Main">
              {session &&
                NAV_LINKS.map(([key, href, label]) => (
                  <a href={href} aria-current={nav === key ? 'page' : undefined}>
                    {label}
                  </a>
                ))}
              {session?.user.isStaff && (
                <a href="/admin/" aria-current={nav === 'admin' ? 'page' : undefined}>
                  Admin
                </a>
              )}
            </nav>
            {nav !== 'login' && <Account session={session} />}
          </div>
        </header>
        <main class={narrow ? 'narrow' : undefined}>{children}</main>
        <footer>OAuth 2 authorization server and API on Cloudflare Workers</footer>
        <script>{raw(SCRIPT)}</script>
      </body>
    </html>
  </>
)
