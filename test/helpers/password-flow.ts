/** The password grant as the tutorial runs it: a user, a confidential password app, a token. */
import { call, read } from './http'
import { createApplication, createUser, PASSWORD, type TestApp } from './seed'

export type PasswordSetup = { app: TestApp; user: Awaited<ReturnType<typeof createUser>> }

export async function passwordSetup(): Promise<PasswordSetup> {
  return { app: await createApplication(), user: await createUser() }
}

/** POST /o/token/ with the password grant; credentials by Basic auth unless `inBody`. */
export async function passwordToken({ app, user }: PasswordSetup, extra: Record<string, string> = {}, inBody = false) {
  const form = { grant_type: 'password', username: user.username, password: PASSWORD, ...extra }
  const res = inBody
    ? await call('/o/token/', { form: { ...form, client_id: app.clientId, client_secret: app.clientSecret! } })
    : await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form })
  return read(res)
}

export function refresh(app: TestApp, refreshToken: string, extra: Record<string, string> = {}) {
  return call('/o/token/', {
    form: {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: app.clientId,
      client_secret: app.clientSecret!,
      ...extra,
    },
  }).then(read)
}
