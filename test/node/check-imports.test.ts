// The import rules `npm run lint` enforces (scripts/check-imports.mjs, docs/architecture.md), on
// small source trees: a cycle between folders, and a surface imported by anything but src/index.ts.
import { describe, expect, it } from 'vitest'
import { importProblems } from '../../scripts/check-imports.mjs'

/** A source tree: file → the modules it imports. */
const tree = (files: Record<string, string[]>) =>
  new Map(Object.entries(files).map(([file, specs]) => [file, specs.map((s) => `import { x } from '${s}'\n`).join('')]))

describe('the import check', () => {
  it('accepts the layering: index.ts composes the surfaces, which import the layers below them', () => {
    const sources = tree({
      'src/index.ts': ['./protocol/surface', './api/surface', './web/surface'],
      'src/protocol/token.ts': ['../store/users', '../grants/registry'],
      'src/api/users.ts': ['../store/users', '../accounts/email'],
      'src/web/pages.tsx': ['./views/page', '../store/users'],
      'src/grants/registry.ts': ['../store/users'],
    })
    expect(importProblems('src', sources)).toEqual([])
  })

  it.each([
    ['api/', 'web/', 'src/api/users.ts', '../web/form'],
    ['web/', 'api/', 'src/web/admin/users.tsx', '../../api/fields'],
    ['protocol/', 'web/', 'src/protocol/authorize.ts', '../web/views/consent'],
  ])('refuses the surface %s importing the surface %s', (from, to, file, spec) => {
    const sources = tree({ 'src/index.ts': ['./protocol/a', './api/a', './web/a'], [file]: [spec] })
    expect(importProblems('src', sources)).toEqual([
      `the surface ${from} imports the surface ${to} (${file}): only index.ts composes surfaces; ` +
        'move what they share below them',
    ])
  })

  it('refuses a lower layer importing a surface, and names a cycle', () => {
    const sources = tree({
      'src/store/users.ts': ['../api/fields'],
      'src/api/fields.ts': ['../store/users'],
    })
    expect(importProblems('src', sources)).toEqual([
      'import cycle among api/ store/:',
      '  api/ -> store/ (src/api/fields.ts)',
      '  store/ -> api/ (src/store/users.ts)',
      'store/ imports the surface api/ (src/store/users.ts): only index.ts composes surfaces; ' +
        'move what they share below them',
    ])
  })
})
