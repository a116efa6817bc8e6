// The admin UI at /admin (docs/api.md#admin-ui--admin): mount with
// `app.route('/admin', adminUiRoutes)`.
export { adminUiRoutes } from './routes.js'
