// `config.yaml` must be one YAML mapping: parsed with the yaml package's core schema, unique keys,
// no custom tags, and a bounded alias expansion (a billion-laughs document is refused).
import { isMap, parseDocument } from 'yaml'
import { decodeName } from './paths.js'

const MAX_ALIAS_COUNT = 100

export function isYamlMapping(bytes: Uint8Array): boolean {
  const text = decodeName(bytes)
  if (text === null) return false
  try {
    const doc = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: false })
    if (doc.errors.length > 0 || !isMap(doc.contents)) return false
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
    return true
  } catch {
    return false
  }
}
