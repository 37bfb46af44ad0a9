/** Types of scripts/check-imports.mjs, for its test. */
export const SURFACES: string[]
export function importGraph(
  root: string,
  sources: Map<string, string>,
): { edges: Map<string, Set<string>>; example: Map<string, string> }
export function importProblems(root: string, sources: Map<string, string>): string[]
