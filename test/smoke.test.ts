import { describe, expect, it } from 'vitest'
import { call, read } from './helpers/http'
import { createApplication, createUser, PASSWORD } from './helpers/seed'
import { hashPassword, verifyPassword } from '../src/crypto/password'

describe('smoke', () => {
  it('password grant then users list', async () => {
    const t0 = Date.now()
    const h = await hashPassword('x')
    const t1 = Date.now()
    await verifyPassword('x', h)
    console.log('hash ms', t1 - t0, 'verify ms', Date.now() - t1)
    const user = await createUser()
    const app = await createApplication()
    const res = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: { grant_type: 'password', username: user.username, password: PASSWORD } }))
    console.log(res.status, res.body)
    const list = await read(await call('/users/', { token: res.body.access_token }))
    console.log(list.status, list.body)
  })
})
