/**
 * @module Sign-in and sign-out at /accounts/login/ and /accounts/logout/. Failed sign-ins answer
 * alike for an unknown user and a wrong password (same page, same status, one password hash's time
 * either way) and are rate limited per username + client IP, per IP and per username
 * (src/auth/password-check.ts, shared with the password grant and the password change page).
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'
import { normalizeUsername } from '../accounts/users'
import { log } from '../log'
import { systemClock } from '../clock'
import { LoginPage } from './views/login'
import { readPostedForm, refuseForgedForm } from './form'
import { methodNotAllowed } from './views/error'
import { pageHeaders } from './security'
import { clientIp, inMinutes } from '../auth/rate-limit'
import { checkPassword } from '../auth/password-check'
import { csrfTokenFor } from './csrf'
import { safeNext } from './next-url'
import { endSession, loadSession, startSession } from './session'
import { deleteSessionsOf } from '../store/sessions'
import { recordSignIn } from '../store/users'
import { passwordChangeRoutes } from './password-change'

const INVALID_LOGIN = 'Please enter a correct username and password. Note that both fields may be case-sensitive.'

export const signInRoutes = new Hono<AppEnv>()
signInRoutes.use('/accounts/*', pageHeaders, loadSession)
// Behind the same headers and session loading.
signInRoutes.route('/', passwordChangeRoutes)

function renderLogin(
  c: Context<AppEnv>,
  status: 200 | 400 | 403 | 429,
  props: { next: string; username?: string; error?: string },
) {
  return c.html(<LoginPage session={c.get('session')} csrfToken={csrfTokenFor(c)} {...props} />, status)
}

signInRoutes.get('/accounts/login/', (c) => renderLogin(c, 200, { next: safeNext(c.req.query('next')) }))

signInRoutes.post('/accounts/login/', async (c) => {
  const { form, forged } = await readPostedForm(c)
  const next = safeNext(form.get('next') ?? c.req.query('next'))
  // Normalised before the limits and the lookup: every spelling of a name is that one account.
  const username = normalizeUsername((form.get('username') ?? '').slice(0, 150))
  const password = form.get('password') ?? ''
  if (forged) {
    return renderLogin(c, 403, {
      next,
      username,
      error: 'This form has expired or did not come from this site. Please sign in again.',
    })
  }
  if (!username || !password) return renderLogin(c, 400, { next, username, error: 'Enter your username and password.' })

  // Refused before the password is checked, whether or not the user exists: nothing is revealed.
  const check = await checkPassword({ db: c.get('db'), clock: systemClock }, { username, password, ip: clientIp(c) })
  if (check.outcome === 'limited') {
    c.header('Retry-After', String(check.retryAfter))
    const error = `Too many failed sign-in attempts. Try again ${inMinutes(check.retryAfter)}.`
    return renderLogin(c, 429, { next, username, error })
  }
  if (check.outcome === 'wrong') {
    log(c, 'info', { event: 'sign_in_failed' })
    return renderLogin(c, 200, { next, username, error: INVALID_LOGIN })
  }
  const { user } = check
  await startSession(c, user.id)
  await recordSignIn(c.get('db'), user.id, systemClock)
  log(c, 'info', { event: 'signed_in', userId: user.id })
  return c.redirect(next, 302)
})

signInRoutes.get('/accounts/logout/', (c) => c.redirect('/', 302))

/** Sign-out; with `everywhere` set, every session of the user ends, on every device. */
signInRoutes.post('/accounts/logout/', async (c) => {
  const { form, forged } = await readPostedForm(c)
  const session = c.get('session')
  if (!session) return c.redirect('/accounts/login/', 303)
  if (forged) return refuseForgedForm(c, 'Sign-out was refused: the form did not come from this site.')
  if (form.get('everywhere')) await deleteSessionsOf(c.get('db'), session.user.id)
  await endSession(c)
  log(c, 'info', { event: 'signed_out', userId: session.user.id })
  return c.redirect('/accounts/login/', 303)
})

signInRoutes.all('/accounts/login/', methodNotAllowed('GET, HEAD, POST'))
signInRoutes.all('/accounts/logout/', methodNotAllowed('GET, HEAD, POST'))
