/**
 * @module Changing one's password at /accounts/password_change/ (Django's URL and field names).
 * The current password is asked for and rate limited like a sign-in, so a borrowed session cannot
 * take the account over or guess the password. On success the new hash and the end of every
 * session of the user are one D1 batch (never a new password with the old sessions still alive);
 * this browser then gets a fresh session, as Django's `update_session_auth_hash` keeps it signed in.
 * OAuth tokens already issued stay valid, as in django-oauth-toolkit: the user withdraws them
 * under Authorized apps.
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'
import { replacePassword } from '../store/users'
import { hashPassword } from '../crypto/password'
import { type PasswordOwner, passwordProblems } from '../accounts/passwords'
import { log } from '../log'
import { readPostedForm } from './form'
import { methodNotAllowed } from './views/error'
import { type PasswordChangeErrors, PasswordChangeDonePage, PasswordChangePage } from './views/password-change'
import { clientIp, inMinutes } from '../auth/rate-limit'
import { systemClock } from '../clock'
import { checkPassword } from '../auth/password-check'
import { requireLogin, signedIn, startSession } from './session'

/** The new password's problems under new_password1; new_password2 only has to match it. */
function newPasswordErrors(owner: PasswordOwner, password1: string, password2: string): PasswordChangeErrors {
  const errors: PasswordChangeErrors = {}
  const problems = passwordProblems(owner, password1)
  if (problems.length) errors.new_password1 = problems
  if (!password2) errors.new_password2 = ['This field is required.']
  else if (password1 && password1 !== password2) errors.new_password2 = ['The two password fields didn’t match.']
  return errors
}

export const passwordChangeRoutes = new Hono<AppEnv>()
passwordChangeRoutes.use('/accounts/password_change/*', requireLogin)

const renderForm = (c: Context<AppEnv>, status: 200 | 400 | 403 | 429, errors?: PasswordChangeErrors, alert?: string) =>
  c.html(<PasswordChangePage session={signedIn(c)} errors={errors} alert={alert} />, status)

passwordChangeRoutes.get('/accounts/password_change/', (c) => renderForm(c, 200))

passwordChangeRoutes.post('/accounts/password_change/', async (c) => {
  const { form, forged } = await readPostedForm(c)
  const { user } = signedIn(c)
  if (forged)
    return renderForm(c, 403, undefined, 'This form has expired or did not come from this site. Please try again.')
  const oldPassword = form.get('old_password') ?? ''
  const errors = newPasswordErrors(user, form.get('new_password1') ?? '', form.get('new_password2') ?? '')
  if (!oldPassword) errors.old_password = ['This field is required.']
  if (Object.keys(errors).length) return renderForm(c, 400, errors)

  // The signed-in user's own row, read again beside the attempt's reservation (one D1 batch).
  const check = await checkPassword(
    { db: c.get('db'), clock: systemClock },
    { username: user.username, password: oldPassword, ip: clientIp(c) },
  )
  if (check.outcome === 'limited') {
    c.header('Retry-After', String(check.retryAfter))
    return renderForm(c, 429, undefined, `Too many wrong passwords. Try again ${inMinutes(check.retryAfter)}.`)
  }
  if (check.outcome === 'wrong') {
    log(c, 'info', { event: 'password_change_failed', userId: user.id })
    return renderForm(c, 400, { old_password: ['Your old password was entered incorrectly. Please enter it again.'] })
  }
  const hash = await hashPassword(form.get('new_password1')!)
  await replacePassword(c.get('db'), user.id, hash)
  await startSession(c, user.id)
  log(c, 'info', { event: 'password_changed', userId: user.id })
  return c.redirect('/accounts/password_change/done/', 303)
})

passwordChangeRoutes.get('/accounts/password_change/done/', (c) =>
  c.html(<PasswordChangeDonePage session={signedIn(c)} />),
)

passwordChangeRoutes.all('/accounts/password_change/', methodNotAllowed('GET, HEAD, POST'))
passwordChangeRoutes.all('/accounts/password_change/done/', methodNotAllowed('GET, HEAD'))
