/**
 * Every secret a test creates or receives (passwords, client secrets, tokens, codes), and every
 * line the Worker logs, so that the setup file can check after each test file that no secret was
 * ever logged.
 */
const secrets = new Set<string>()
export const logged: string[] = []

/** Remembers a secret; short strings are skipped, they would match by chance. */
export function rememberSecret(value: unknown) {
  if (typeof value === 'string' && value.length >= 8) secrets.add(value)
}

const SECRET_FIELDS = ['access_token', 'refresh_token', 'client_secret', 'code', 'id_token', 'password']

/** Remembers the secret-bearing fields of a JSON body or a form. */
export function rememberSecretsIn(data: unknown) {
  if (data instanceof URLSearchParams) {
    for (const f of SECRET_FIELDS) rememberSecret(data.get(f))
  } else if (data && typeof data === 'object') {
    for (const f of SECRET_FIELDS) rememberSecret((data as Record<string, unknown>)[f])
  }
}

/** Secrets that appear in what was logged. */
export function leakedSecrets(): string[] {
  const all = logged.join('\n')
  return [...secrets].filter((s) => all.includes(s))
}

/** Routes the Worker's console output through `logged` as well. */
export function captureConsole() {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      logged.push(
        args
          .map((a) =>
            typeof a === 'string'
              ? a
              : (() => {
                  try {
                    return JSON.stringify(a)
                  } catch {
                    return String(a)
                  }
                })(),
          )
          .join(' '),
      )
      original(...args)
    }
  }
}
