/** Authorization codes written straight to D1, to test the exchange apart from the authorize pages. */
import { randomToken, sha256Hex } from '../../src/crypto/token'
import { authorizationCodes } from '../../src/db/schema'
import { db } from './seed'
import { rememberSecret } from './secrets'

type CodeOptions = Partial<typeof authorizationCodes.$inferInsert> & { applicationId: number; userId: number }

export async function issueCode(opts: CodeOptions): Promise<string> {
  const code = randomToken()
  rememberSecret(code)
  const now = Math.floor(Date.now() / 1000)
  await db()
    .insert(authorizationCodes)
    .values({
      codeHash: sha256Hex(code),
      scope: 'read write',
      authTime: now,
      expiresAt: now + 60,
      redirectUri: null,
      ...opts,
    })
    .run()
  return code
}
