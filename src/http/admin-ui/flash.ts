// Flash messages after an action (POST → 303 → GET ?done=KEY) and for refused actions.

import type { AppError } from '../../errors.js'
import type { Flash } from './layout.js'

/** Flash messages by key: the query string selects one, it never supplies text. */
const DONE: Record<string, string> = {
  pinned: 'Pinned. Provisioners now get this version until it is unpinned.',
  unpinned: 'Unpinned. Provisioners get the current version again.',
  'refresh-queued': 'Refresh queued.',
  'refresh-coalesced': 'A refresh was already queued; this request joined it.',
  forgotten: 'Template forgotten: its versions and jobs are gone; GC reclaims its bundles.',
}

export function doneFlash(key: string | undefined): Flash | null {
  const text = key ? DONE[key] : undefined
  return text ? { kind: 'ok', text } : null
}

export function errorFlash(err: AppError): Flash {
  return { kind: 'error', code: err.code, text: err.message }
}
