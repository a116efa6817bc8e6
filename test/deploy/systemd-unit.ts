// Reading deploy/asset-cache.service as systemd does: sections, repeated keys, command lines split
// into words, and the host install steps of deploy/README.md that the unit relies on.

export type Unit = Record<string, Record<string, string[]>>

/** Sections → key → every value assigned (systemd keys may repeat). */
export function parseUnit(text: string): Unit {
  const unit: Unit = {}
  let section: Record<string, string[]> | null = null
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const head = /^\[(.+)\]$/.exec(line)
    if (head) {
      section = unit[head[1]!] ??= {}
      continue
    }
    const kv = /^([A-Za-z0-9]+)=(.*)$/.exec(line)
    if (!kv || !section) throw new Error(`not a unit line: ${line}`)
    const values = section[kv[1]!] ?? []
    values.push(kv[2]!.trim())
    section[kv[1]!] = values
  }
  return unit
}

/**
 * The words of a command line (ExecStart=, ExecStartPre=): split on blanks, quotes removed.
 * `$`, `%` and `\` are refused rather than interpreted: systemd would expand or unescape them,
 * so a line holding one would not run what it reads as.
 */
export function commandWords(line: string): string[] {
  const odd = /[$%\\]/.exec(line)
  if (odd) throw new Error(`"${odd[0]}" in a command line is rewritten by systemd: ${line}`)
  const words: string[] = []
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!)
  return words
}

/** Seconds of a systemd time span such as `15s`, `2min` or `90`. */
export function seconds(text: string): number {
  const m = /^(\d+)\s*(s|sec|min)?$/.exec(text.trim())
  return m ? Number(m[1]) * (m[2] === 'min' ? 60 : 1) : Number.NaN
}

export const PREFIX = '/opt/asset-cache'

export interface InstallSteps {
  /** What the release copy puts in /opt/asset-cache. */
  copied: string[]
  /** Directories under /opt/asset-cache that other steps fill (`tar -C /opt/asset-cache/node`). */
  unpacked: string[]
}

/** The host install steps of deploy/README.md, read from its shell blocks. */
export function installSteps(readme: string): InstallSteps {
  const shell = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n')
  const copy = /^sudo cp -r ((?:\S+ )+)\/opt\/asset-cache\/$/m.exec(shell)
  const unpacked = [...shell.matchAll(/-C \/opt\/asset-cache\/([\w.-]+)/g)].map((m) => m[1]!)
  return { copied: copy ? copy[1]!.trim().split(/\s+/) : [], unpacked }
}
