// Delivers webhooks exactly as Gitea's services/webhook/deliver.go does (headers, body, signatures).
import { createHmac, randomUUID } from 'node:crypto'
import { request } from 'undici'
import { goMarshalIndent, goQueryEscape } from './go-json.js'

export interface WebhookOptions {
  /** The webhook secret; without one Gitea still sends the signature headers, empty. */
  secret?: string
  /** X-Gitea-Event: `push`, `create`, `delete`, … */
  event: string
  /** X-Gitea-Event-Type; defaults to `event` (they differ only for grouped events). */
  eventType?: string
  /** An object is serialized like Gitea (json.MarshalIndent, two spaces); a string is sent as is. */
  payload: unknown
  /** Gitea's "POST Content Type": `json` (default) or `form` (`payload=<json>`). */
  contentType?: 'json' | 'form'
  /** X-Gitea-Delivery and its duplicates; default: a fresh UUID. */
  deliveryId?: string
  /** Replaces the hex HMAC-SHA256 in every sha256 signature header. */
  signatureOverride?: string
  /** The webhook's optional Authorization header setting. */
  authorization?: string
  /** Extra or replacing headers. */
  headers?: Record<string, string>
  /** Header names to leave out (case-insensitive), e.g. to send no signature at all. */
  omitHeaders?: string[]
  /** Gitea's [webhook] DELIVER_TIMEOUT, 5 s by default. */
  timeoutMs?: number
}

export interface WebhookDelivery {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  deliveryId: string
  /** Exactly what was sent. */
  sent: { headers: Record<string, string>; body: string; payload: string }
}

/** Go's http.Client sends this User-Agent; Gitea does not set its own on webhook requests. */
export const GITEA_WEBHOOK_USER_AGENT = 'Go-http-client/1.1'

export function hmacHex(algorithm: 'sha1' | 'sha256', secret: string, data: string): string {
  return createHmac(algorithm, secret).update(data, 'utf8').digest('hex')
}

/** Serializes a payload the way Gitea stores it in HookTask.PayloadContent. */
export function payloadContent(payload: unknown): string {
  return typeof payload === 'string' ? payload : goMarshalIndent(payload)
}

/**
 * The request Gitea would send. Signatures cover the payload JSON (PayloadContent), also
 * for form deliveries, whose body is `payload=<QueryEscape(json)>` (url.Values.Encode).
 */
export function buildWebhookRequest(
  options: WebhookOptions,
): WebhookDelivery['sent'] & { deliveryId: string } {
  const payload = payloadContent(options.payload)
  const form = options.contentType === 'form'
  const body = form ? `payload=${goQueryEscape(payload)}` : payload
  const secret = options.secret ?? ''
  const sha256 = options.signatureOverride ?? (secret ? hmacHex('sha256', secret, payload) : '')
  const sha1 = secret ? hmacHex('sha1', secret, payload) : ''
  const deliveryId = options.deliveryId ?? randomUUID()
  const event = options.event
  const eventType = options.eventType ?? event
  const headers: Record<string, string> = {
    'User-Agent': GITEA_WEBHOOK_USER_AGENT,
    'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json',
    'X-Gitea-Delivery': deliveryId,
    'X-Gitea-Event': event,
    'X-Gitea-Event-Type': eventType,
    'X-Gitea-Signature': sha256,
    'X-Gitea-Hook-Installation-Target-Type': 'repository',
    'X-Gogs-Delivery': deliveryId,
    'X-Gogs-Event': event,
    'X-Gogs-Event-Type': eventType,
    'X-Gogs-Signature': sha256,
    'X-Hub-Signature': `sha1=${sha1}`,
    'X-Hub-Signature-256': `sha256=${sha256}`,
    'X-GitHub-Delivery': deliveryId,
    'X-GitHub-Event': event,
    'X-GitHub-Event-Type': eventType,
    'X-GitHub-Hook-Installation-Target-Type': 'repository',
  }
  if (options.authorization) headers.Authorization = options.authorization
  Object.assign(headers, options.headers)
  const omit = new Set((options.omitHeaders ?? []).map((name) => name.toLowerCase()))
  for (const name of Object.keys(headers)) if (omit.has(name.toLowerCase())) delete headers[name]
  return { headers, body, payload, deliveryId }
}

/** POSTs one delivery to `targetUrl` and returns the receiver's answer. */
export async function sendWebhook(
  targetUrl: string,
  options: WebhookOptions,
): Promise<WebhookDelivery> {
  const sent = buildWebhookRequest(options)
  const timeout = options.timeoutMs ?? 5000
  const response = await request(targetUrl, {
    method: 'POST',
    headers: sent.headers,
    body: sent.body,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  })
  const body = await response.body.text()
  return {
    status: response.statusCode,
    headers: response.headers,
    body,
    deliveryId: sent.deliveryId,
    sent: { headers: sent.headers, body: sent.body, payload: sent.payload },
  }
}
