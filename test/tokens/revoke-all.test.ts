// Revoking everything of a user, an application or a group's members outside a request, in the
// caller's own D1 batch: the API refuses the old tokens at once, a refresh is invalid_grant, what
// was not selected keeps working, and a batch that fails revokes nothing.
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applications, sessions, users } from '../../src/db/schema'
import { tokenDepsFor } from '../../src/tokens/deps'
import { planRevokeAll, revokeAll } from '../../src/tokens/revoke-all'
import { Browser } from '../helpers/browser'
import { call } from '../helpers/http'
import { passwordToken, refresh } from '../helpers/grants'
import { createApplication, createGroup, createUser, db } from '../helpers/seed'

const deps = () => tokenDepsFor(env, db())

/** A password grant of `user` to `app`: its tokens as the client holds them. */
async function tokensOf(app: Awaited<ReturnType<typeof createApplication>>, user: { username: string }) {
  const res = await passwordToken({ app, user: user as Awaited<ReturnType<typeof createUser>> })
  if (res.status !== 200) throw new Error(`password grant failed: ${res.status}`)
  return res.body as { access_token: string; refresh_token: string }
}

const apiStatus = async (token: string) => (await call('/users/', { token })).status

/** The grant's access token record in KV (null once deleted, not merely refused because of the user). */
const accessRecord = (tokens: { access_token: string }) => deps().accessTokens.read(tokens.access_token)

describe('revoking everything of a user, an application or a group', () => {
  it("deactivating a user in the same batch ends their grants (KV records deleted) and web sessions, no one else's", async () => {
    const app = await createApplication()
    const [user, other] = await Promise.all([createUser(), createUser()])
    const [first, second, kept] = [await tokensOf(app, user), await tokensOf(app, user), await tokensOf(app, other)]
    const browser = new Browser()
    await browser.signIn(user.username)
    expect((await browser.get('/o/applications/')).status).toBe(200)

    const d = deps()
    const plan = planRevokeAll(d, { userId: user.id, endSessionsOf: user.id })
    const results = await d.db.batch([
      ...plan.statements,
      d.db.update(users).set({ isActive: false }).where(eq(users.id, user.id)),
    ])
    expect(await plan.afterCommit(results)).toEqual({ revoked: 2 })

    for (const tokens of [first, second]) {
      expect(await accessRecord(tokens)).toBeNull()
      expect(await apiStatus(tokens.access_token)).toBe(401)
      expect(await refresh(app, tokens.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    }
    expect(await db().select().from(sessions).where(eq(sessions.userId, user.id)).all()).toEqual([])
    expect((await browser.get('/o/applications/')).status).toBe(302)
    expect(await apiStatus(kept.access_token)).toBe(200)
  })

  it('revokes while the user stays active: the old token is 401 because its record is gone, not because of the user', async () => {
    const app = await createApplication()
    const user = await createUser()
    const tokens = await tokensOf(app, user)
    expect(await revokeAll(deps(), { userId: user.id })).toEqual({ revoked: 1 })
    expect(await apiStatus(tokens.access_token)).toBe(401)
    // A second run finds nothing live left.
    expect(await revokeAll(deps(), { userId: user.id })).toEqual({ revoked: 0 })
  })

  it("an application's grants, before the delete whose cascade would hide them; another app's stay", async () => {
    const [app, otherApp] = await Promise.all([createApplication(), createApplication()])
    const [a, b] = await Promise.all([createUser(), createUser()])
    const gone = [await tokensOf(app, a), await tokensOf(app, b)]
    const kept = await tokensOf(otherApp, a)
    const d = deps()
    const plan = planRevokeAll(d, { applicationId: app.id })
    const results = await d.db.batch([...plan.statements, d.db.delete(applications).where(eq(applications.id, app.id))])
    expect(await plan.afterCommit(results)).toEqual({ revoked: 2 })
    for (const tokens of gone) expect(await accessRecord(tokens)).toBeNull()
    expect(await apiStatus(kept.access_token)).toBe(200)
  })

  it("a group's members' grants, and a user and an application together", async () => {
    const [app, otherApp] = await Promise.all([createApplication(), createApplication()])
    const [member, outsider] = await Promise.all([createUser(), createUser()])
    const group = await createGroup(undefined, [member.id])
    const [memberA, memberB, outsiders] = [
      await tokensOf(app, member),
      await tokensOf(otherApp, member),
      await tokensOf(app, outsider),
    ]
    expect(await revokeAll(deps(), { userId: member.id, applicationId: otherApp.id })).toEqual({ revoked: 1 })
    expect(await apiStatus(memberB.access_token)).toBe(401)
    expect(await apiStatus(memberA.access_token)).toBe(200)
    expect(await revokeAll(deps(), { membersOf: group.id })).toEqual({ revoked: 1 })
    expect(await apiStatus(memberA.access_token)).toBe(401)
    expect(await apiStatus(outsiders.access_token)).toBe(200)
  })

  it('a batch that fails revokes nothing: the change and the revocation commit together or not at all', async () => {
    const app = await createApplication()
    const [user, taken] = await Promise.all([createUser(), createUser()])
    const tokens = await tokensOf(app, user)
    const d = deps()
    const plan = planRevokeAll(d, { userId: user.id, endSessionsOf: user.id })
    // The change fails (the username is taken): the whole batch rolls back.
    await expect(
      d.db.batch([
        ...plan.statements,
        d.db.update(users).set({ username: taken.username }).where(eq(users.id, user.id)),
      ]),
    ).rejects.toThrow()
    expect(await apiStatus(tokens.access_token)).toBe(200)
    expect((await refresh(app, tokens.refresh_token)).status).toBe(200)
  })

  it('refuses an empty selection rather than revoke every grant on the server', () => {
    expect(() => planRevokeAll(deps(), {})).toThrow('empty selection')
    expect(() => planRevokeAll(deps(), { endSessionsOf: 1 })).toThrow('empty selection')
  })

  it('an empty list of grant ids revokes nothing', async () => {
    const app = await createApplication()
    const user = await createUser()
    const tokens = await tokensOf(app, user)
    expect(await revokeAll(deps(), { userId: user.id, ids: [] })).toEqual({ revoked: 0 })
    expect(await apiStatus(tokens.access_token)).toBe(200)
  })
})
