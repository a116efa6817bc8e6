// One template as the index holds it: the manifest's entry, its current version and its pin.
export interface TemplateRow {
  name: string
  repo: string | null
  ref: string | null
  allow: string[]
  require: string[]
  currentVersionId: number | null
  /** The admin pin: this replica's own (admin API or UI). */
  pinnedDigest: string | null
  pinnedAt: number | null
  /** The manifest's `pin:` (a digest or a commit id), obeyed by every replica; wins over the admin pin. */
  manifestPin: string | null
  createdAt: number
  updatedAt: number
  removedAt: number | null
}
