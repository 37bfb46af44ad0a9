/** Other spellings of one username: what NFKC (Django's normalize_username) folds into it. */

/** `s` in fullwidth forms (U+FF01–FF5E): `admin` → `ａｄｍｉｎ`, which NFKC folds back. */
export const fullwidth = (s: string) => s.replace(/[!-~]/g, (ch) => String.fromCodePoint(ch.codePointAt(0)! + 0xfee0))
