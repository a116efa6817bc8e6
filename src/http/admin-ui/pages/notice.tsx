// Pages that say one thing: sign in, admin disabled, an error with its code, nothing here.
import type { Child } from 'hono/jsx'
import { type Flash, Layout } from '../layout.js'
import type { AdminSession } from '../session.js'

export function LoginPage({ error }: { error?: string | undefined }) {
  return (
    <Layout title="Sign in">
      <div class="card login">
        <h1>Sign in</h1>
        {error ? (
          <div class="flash error" role="alert">
            {error}
          </div>
        ) : null}
        <form method="post" action="/admin/login">
          <label for="token">Admin token</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="current-password"
            required
            autofocus
          />
          <button type="submit" class="primary">
            Sign in
          </button>
        </form>
        <p class="muted small">
          The token is the value of <code>ASSET_CACHE_ADMIN_TOKEN</code>. Signing in starts a
          session of 12 hours in this browser.
        </p>
      </div>
    </Layout>
  )
}

export function DisabledPage() {
  return (
    <Layout title="Admin disabled">
      <div class="card login">
        <h1>Admin is disabled</h1>
        <p>
          This asset-cache has no admin token configured, so the admin UI and the admin API are off.
        </p>
        <p>
          To enable them, set <code>ASSET_CACHE_ADMIN_TOKEN</code> to a long random value (for
          example the output of <code>openssl rand -hex 32</code>) and restart the service. Then
          sign in here with that value.
        </p>
      </div>
    </Layout>
  )
}

export function NoticePage(props: {
  title: string
  session: AdminSession | null
  flash: Flash
  children?: Child
}) {
  return (
    <Layout title={props.title} session={props.session} flash={props.flash}>
      <h1>{props.title}</h1>
      {props.children}
      <p>
        <a href="/admin">Back to templates</a>
      </p>
    </Layout>
  )
}
