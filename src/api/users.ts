/**
 * @module `GET/POST /users/` and `GET /users/<pk>/`, guarded as the tutorial's UserList and
 * UserDetails: an authenticated user's token with `read` for safe methods and `write` otherwise.
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'
import { ApiError, ValidationError } from '../errors'
import { normalizeUsername, USERNAME_MAX_LENGTH, usernameProblem } from '../accounts/users'
import { passwordProblems } from '../accounts/passwords'
import {
  type Actor,
  countUsers,
  insertUserUnlessTaken,
  listUsers,
  pageOfUsersSeenBy,
  userByUsername,
  userSeenBy,
  usersSeenBy,
} from '../store/users'
import { hashPassword, PASSWORD_MAX_LENGTH, UNUSABLE_PASSWORD } from '../crypto/password'
import { batchAsActiveUser, refuseUnlessActive, requireActiveUser, tokenActor } from '../auth/active-user'
import { readWriteScopes, requireUser } from '../auth/scopes'
import { readApiBody } from './body'
import { charField, type Errors, isValidEmail } from './fields'
import { toUserJson } from './serialize'
import { listResponse, pageOf } from './pagination'
import { allowMethods, apiBearerAuth, methodNotAllowed, viewMetadata } from './view'

const USERNAME_TAKEN = 'A user with that username already exists.'

export const userRoutes = new Hono<AppEnv>()
const guard = [apiBearerAuth(), requireUser(), readWriteScopes()] as const

userRoutes.use('/users/', allowMethods('GET, POST, HEAD, OPTIONS'), ...guard)
userRoutes.get('/users/', (c) => {
  const db = c.get('db')
  const allSeenBy = (seenBy: Actor) => usersSeenBy(db, seenBy)
  const pageSeenBy = (seenBy: Actor, limit: number, offset: number) => pageOfUsersSeenBy(db, seenBy, limit, offset)
  return listResponse(c, { ...pageOf(db, listUsers, countUsers), allSeenBy, pageSeenBy }, toUserJson)
})
userRoutes.post('/users/', async (c) => c.json(toUserJson(await createUserFromBody(c)), 201))
userRoutes.options('/users/', requireActiveUser(), viewMetadata('User List'))
userRoutes.all('/users/', requireActiveUser(), methodNotAllowed)

userRoutes.use('/users/:pk/', allowMethods('GET, HEAD, OPTIONS'), ...guard)
userRoutes.get('/users/:pk/', async (c) => {
  const pk = c.req.param('pk')
  // Django answers 404 for a primary key that is not an integer; no row has a null id.
  const id = /^[0-9]{1,15}$/.test(pk) ? Number(pk) : null
  const row = await userSeenBy(c.get('db'), id, tokenActor(c))
  refuseUnlessActive(c, row && { isActive: row.actorActive })
  if (!row?.user) throw new ApiError(404, 'Not found.')
  return c.json(toUserJson(row.user))
})
userRoutes.options('/users/:pk/', requireActiveUser(), viewMetadata('User Details'))
userRoutes.all('/users/:pk/', requireActiveUser(), methodNotAllowed)

/**
 * Validates as DRF's ModelSerializer would, then inserts; `password` is optional and write-only
 * (without one the user gets an unusable password, as the tutorial's users do). The username is
 * NFKC-normalised before it is checked, so a compatibility spelling of a taken name is taken.
 */
async function createUserFromBody(c: Context<AppEnv>) {
  // A body that does not parse still gets the token's user checked first (a 401 wins over a 400).
  const data = await readApiBody(c).catch(async (err: unknown) => {
    await batchAsActiveUser(c, [])
    throw err
  })
  const errors: Errors = {}
  const username = charField(
    data,
    'username',
    { required: true, maxLength: USERNAME_MAX_LENGTH, normalize: normalizeUsername },
    errors,
  )
  const usernameError = username === undefined ? undefined : usernameProblem(username)
  if (usernameError) errors.username = [usernameError]
  const email = charField(data, 'email', { allowBlank: true, maxLength: 254 }, errors)
  if (email && !isValidEmail(email)) errors.email = ['Enter a valid email address.']
  const firstName = charField(data, 'first_name', { allowBlank: true, maxLength: 150 }, errors)
  const lastName = charField(data, 'last_name', { allowBlank: true, maxLength: 150 }, errors)
  const password = charField(data, 'password', { maxLength: PASSWORD_MAX_LENGTH, trim: false }, errors)
  // Django's password validators, every problem listed, as the password change page and the CLI apply them.
  const owner = { username: username ?? '', email, firstName, lastName }
  const weak = password ? passwordProblems(owner, password) : []
  if (weak.length) errors.password = weak
  // The token's user is checked in the round trip that looks the username up, before anything is
  // written or any field error answered.
  const lookup =
    username !== undefined && !errors.username ? ([userByUsername(c.get('db'), username)] as const) : ([] as const)
  const [existing] = await batchAsActiveUser(c, lookup)
  if (existing?.length) errors.username = [USERNAME_TAKEN]
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)

  const values = {
    username: username!,
    email: email ?? '',
    firstName: firstName ?? '',
    lastName: lastName ?? '',
    password: password ? await hashPassword(password) : UNUSABLE_PASSWORD,
  }
  const created = await insertUserUnlessTaken(c.get('db'), values)
  if (!created) throw new ValidationError({ username: [USERNAME_TAKEN] })
  return created
}
