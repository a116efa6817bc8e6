// What a name may hold, and when two names are the same name: the character rules and the case
// folding shared by the archive validator and the provisioner client. No dependencies, so the
// client can import it without the server's.
//
// Characters are decided by Unicode property (the regex engine's tables, updated with Node), never
// by a hand-kept list: a category is refused as a whole, so a character added to it later is
// refused too.

/**
 * Refused in every entry name, kept or skipped: characters that are invisible or change how a name
 * reads or breaks into lines — controls (Cc: C0, DEL, C1), format characters (Cf: bidi controls,
 * zero-width characters, the byte order mark), line and paragraph separators (Zl, Zp),
 * noncharacters (U+FDD0–FDEF, U+xxFFFE/F) and default-ignorable code points (U+00AD, U+034F,
 * U+115F, U+180E, U+3164, variation selectors, …), which file systems and fonts may drop.
 */
const NEVER_IN_A_NAME =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}\p{Default_Ignorable_Code_Point}]/u

/**
 * Refused in a kept name, which a workspace will hold: everything above, and what has no portable
 * meaning — private-use (Co), unassigned (Cn) and surrogate (Cs) code points. A kept name holds
 * only assigned, visible characters and the plain space.
 */
const NOT_IN_A_KEPT_NAME =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}\p{Default_Ignorable_Code_Point}\p{Co}\p{Cn}\p{Cs}]/u

/** True when every character of `name` may appear in an entry name (kept or not). */
export function hasOnlyNameCharacters(name: string): boolean {
  return !NEVER_IN_A_NAME.test(name)
}

/** True when every character of `name` may appear in the name of a file a workspace receives. */
export function hasOnlyKeptNameCharacters(name: string): boolean {
  return !NOT_IN_A_KEPT_NAME.test(name)
}

/**
 * The key two names collide on in a case-insensitive file system. Upper- then lower-casing folds
 * more pairs than either alone (`ς`/`σ`, `K`/`k`, `ß`/`ss`, `ſ`/`s`, `ı`/`i`): stricter than any
 * one file system.
 */
export function foldCase(name: string): string {
  return name.toUpperCase().toLowerCase()
}

const ESCAPED = new RegExp(`${NOT_IN_A_KEPT_NAME.source}|\\\\`, 'gu')

/**
 * A name as a person may be shown it (a terminal, a web page, a log line): every character a kept
 * name may not hold, and the backslash, written as `\u{XXXX}`; everything else as it is. The
 * result has no control, bidi, invisible or line-breaking character, and the original can be read
 * back from it. HTML escaping is still the page's job.
 */
export function printableName(name: string): string {
  return name.replace(ESCAPED, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`)
}
