// The admin UI at /admin (DESIGN.md "Admin"): mount with `app.route('/admin', adminUiRoutes)`.
export { adminUiRoutes } from './routes.js'
