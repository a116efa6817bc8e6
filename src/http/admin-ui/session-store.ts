// An admin UI session as the server keeps it (in memory, per app: AppDeps.state.adminSessions).
export interface AdminSession {
  id: string
  csrf: string
  expiresAt: number
}
