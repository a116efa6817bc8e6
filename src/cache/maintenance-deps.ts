// What maintenance (verify, gc) runs over: the index, the content store and the clock that
// stamps what it records (verified-at, the delivery retention cut-off).
import type { Index } from '../db/index.js'
import type { ContentStore } from '../store/index.js'

export interface MaintenanceDeps {
  index: Index
  store: ContentStore
  now: () => number
}
