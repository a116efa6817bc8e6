// One template as the index holds it: the manifest's entry, its current version and its pin.
export interface TemplateRow {
  name: string
  repo: string | null
  ref: string | null
  allow: string[]
  require: string[]
  currentVersionId: number | null
  pinnedDigest: string | null
  pinnedAt: number | null
  createdAt: number
  updatedAt: number
  removedAt: number | null
}
