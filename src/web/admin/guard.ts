/**
 * @module What every /admin/ route shares: only active staff get in (others 403), every POST is a
 * form with the session's CSRF token, ids and page numbers from the URL are read strictly, and the
 * one rule on privileges: only a superuser grants or removes staff and superuser status, or
 * touches a superuser's account (else a staff user could set a superuser's password and become one).
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../../env'
import type { User } from '../../store/users'
import { readPostedForm, refuseForgedForm } from '../form'
import { signedIn } from '../session'
import { renderError } from '../views/error'

/** Lets only active staff through (the session already requires an active user); others get the 403 page. */
export const requireStaff = createMiddleware<AppEnv>(async function requireStaff(c, next) {
  if (!signedIn(c).user.isStaff) {
    return renderError(
      c,
      403,
      'Staff only',
      'The admin site is for staff. Your account is signed in but is not a staff account.',
    )
  }
  await next()
})

/** The signed-in staff user acting. */
export const actorOf = (c: Context<AppEnv>): User => signedIn(c).user

/** The POSTed form if it carries this session's CSRF token and came from this site, else null. */
export async function adminForm(c: Context<AppEnv>): Promise<URLSearchParams | null> {
  const { form, forged } = await readPostedForm(c)
  return forged ? null : form
}

/** The answer to a form without a valid CSRF token. */
export const csrfRefused = (c: Context<AppEnv>) => refuseForgedForm(c)

/** The answer to a superuser-only change by a staff user who is not one (a forged form). */
export const superuserOnly = (c: Context<AppEnv>) =>
  renderError(
    c,
    403,
    'Superusers only',
    'Only a superuser may grant or remove staff or superuser status, or change a superuser’s account.',
  )

/** The 404 page for an object that does not exist. */
export const missing = (c: Context<AppEnv>, what: string) =>
  renderError(
    c,
    404,
    `${what} not found`,
    `There is no ${what.toLowerCase()} at this address. It may have been deleted.`,
  )

/** A positive integer id from the path or a form, else undefined. */
export function idOf(value: string | undefined | null): number | undefined {
  if (!value || !/^[1-9][0-9]{0,15}$/.test(value)) return undefined
  const id = Number(value)
  return Number.isSafeInteger(id) ? id : undefined
}

/** The `:id` of the path as an id, else undefined (and the route answers 404). */
export const pathId = (c: Context<AppEnv>) => idOf(c.req.param('id'))

/** Django admin's `?p=` page number (1-based); anything else is page 1. */
export const pageOf = (c: Context<AppEnv>) => idOf(c.req.query('p')) ?? 1

/** Whether `actor` may change `target`'s account at all: a superuser's only by a superuser. */
export const mayManage = (actor: User, target: Pick<User, 'isSuperuser'>) => actor.isSuperuser || !target.isSuperuser

/** The ids of a multiple choice field (`groups`, `members`); undefined if any is not an id (a forged form). */
export function idsOf(form: URLSearchParams, name: string): number[] | undefined {
  const ids = form.getAll(name).map(idOf)
  return ids.every((id) => id !== undefined) ? [...new Set(ids as number[])] : undefined
}
