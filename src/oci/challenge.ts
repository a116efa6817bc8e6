// WWW-Authenticate as a registry sends it (RFC 9110 §11.6.1): a list of challenges, each a scheme
// with auth-params (`realm="…", service="…", scope="…"`) or a token68. Several challenges may
// share one line, comma-separated, and several lines may be sent. Parsing never throws: what does
// not parse ends the list.

export interface Challenge {
  /** Lower case: `basic`, `bearer`, … */
  scheme: string
  /** Parameter names in lower case; quoted values unescaped. */
  params: Record<string, string>
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/
/** Longest header value looked at. */
const MAX_LENGTH = 16 * 1024

export function parseChallenges(value: string): Challenge[] {
  const s = value.slice(0, MAX_LENGTH)
  const out: Challenge[] = []
  let i = 0
  const skip = (chars: string) => {
    while (i < s.length && chars.includes(s[i]!)) i++
  }
  const token = (): string => {
    const start = i
    while (i < s.length && TCHAR.test(s[i]!)) i++
    return s.slice(start, i)
  }
  const quoted = (): string | null => {
    if (s[i] !== '"') return null
    i++
    let v = ''
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++
      v += s[i]
      i++
    }
    if (s[i] !== '"') return null
    i++
    return v
  }

  for (;;) {
    skip(' \t,')
    const scheme = token()
    if (!scheme) return out
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} }
    out.push(challenge)
    skip(' \t')
    // token68 (`Basic abc==`): no `=` after a name run, so read it whole and move on.
    const t68 = /^[A-Za-z0-9._~+/-]+=*(?=[ \t]*(,|$))/.exec(s.slice(i))
    if (t68 && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \t]*=[^=]/.test(s.slice(i))) {
      challenge.params.token68 = t68[0]
      i += t68[0].length
      continue
    }
    for (;;) {
      const mark = i
      const name = token()
      skip(' \t')
      if (!name || s[i] !== '=') {
        // Not a parameter: the next challenge's scheme (or the end).
        i = mark
        break
      }
      i++
      skip(' \t')
      const v = s[i] === '"' ? quoted() : token()
      if (v === null) return out
      challenge.params[name.toLowerCase()] = v
      skip(' \t')
      if (s[i] !== ',') break
      i++
      skip(' \t')
    }
  }
}
