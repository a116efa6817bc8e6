// Page chrome: head with the inline stylesheet, the top bar with navigation and sign-out, flash
// messages. Every text child goes through hono/jsx, which escapes it.

import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { AdminSession } from './session.js'
import { CSS } from './styles.js'

export type NavItem = 'templates' | 'queue' | 'store'

export interface Flash {
  kind: 'ok' | 'error'
  text: string
  code?: string
}

export interface LayoutProps {
  title: string
  session?: AdminSession | null
  active?: NavItem
  flash?: Flash | null
  children?: Child
}

/** Hidden CSRF field every state-changing form carries. */
export function CsrfField({ session }: { session: AdminSession }) {
  return <input type="hidden" name="_csrf" value={session.csrf} />
}

/** A one-button POST form. */
export function PostButton(props: {
  session: AdminSession
  action: string
  label: string
  fields?: Record<string, string>
  className?: string
}) {
  return (
    <form method="post" action={props.action}>
      <CsrfField session={props.session} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={props.className}>
        {props.label}
      </button>
    </form>
  )
}

export function FlashBox({ flash }: { flash: Flash }) {
  return (
    <div class={`flash ${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
      {flash.code ? (
        <>
          <code>{flash.code}</code>:{' '}
        </>
      ) : null}
      {flash.text}
    </div>
  )
}

const NAV: [NavItem, string, string][] = [
  ['templates', 'Templates', '/admin'],
  ['queue', 'Queue', '/admin/queue'],
  ['store', 'Store', '/admin/store'],
]

export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>{`${props.title} · asset-cache admin`}</title>
        <style>{raw(CSS)}</style>
      </head>
      <body>
        <header class="top">
          <div class="wrap">
            <a class="brand" href="/admin">
              asset-cache admin
            </a>
            {props.session ? (
              <nav aria-label="main">
                {NAV.map(([key, label, href]) => (
                  <a
                    href={href}
                    class={props.active === key ? 'active' : undefined}
                    aria-current={props.active === key ? 'page' : undefined}
                  >
                    {label}
                  </a>
                ))}
                <PostButton session={props.session} action="/admin/logout" label="Sign out" />
              </nav>
            ) : null}
          </div>
        </header>
        <main class="wrap">
          {props.flash ? <FlashBox flash={props.flash} /> : null}
          {props.children}
        </main>
      </body>
    </html>
  )
}
