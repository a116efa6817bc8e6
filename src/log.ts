// Structured JSON logs (pino: fast, the de-facto Node format, redaction built in).
// Secrets are Secret objects and print as [redacted]; headers that carry credentials are
// redacted by path as a second line of defence.
import { type DestinationStream, type Logger, pino } from 'pino'

export type { Logger } from 'pino'

const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-gitea-signature"]',
  'req.headers["x-forgejo-signature"]',
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gogs-signature"]',
  'headers.authorization',
  'token',
  'secret',
]

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'asset-cache' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  )
}

/** A logger that drops everything (tests, one-shot commands). */
export const silentLogger: Logger = pino({ level: 'silent' })
