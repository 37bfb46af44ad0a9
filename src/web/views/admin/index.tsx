/** @module The admin site's index: the models, and the recent actions of every staff user. */
import type { FC } from 'hono/jsx'
import type { Session } from '../../session'
import type { AdminLogEntry } from '../../../store/admin-log'
import { AdminFrame, History } from './parts'

const MODELS: Array<[string, Array<[string, string]>]> = [
  [
    'Authentication and authorization',
    [
      ['/admin/auth/group/', 'Groups'],
      ['/admin/auth/user/', 'Users'],
    ],
  ],
  [
    'Django OAuth Toolkit',
    [
      ['/admin/oauth2_provider/accesstoken/', 'Access tokens'],
      ['/admin/oauth2_provider/application/', 'Applications'],
    ],
  ],
]

export const AdminIndexPage: FC<{ session: Session; recent: AdminLogEntry[] }> = ({ session, recent }) => (
  <AdminFrame session={session} title="Site administration">
    {MODELS.map(([section, models]) => (
      <section class="card">
        <h2>{section}</h2>
        <table class="list">
          <tbody>
            {models.map(([href, label]) => (
              <tr>
                <td>
                  <a href={href}>{label}</a>
                </td>
                <td>
                  <a href={`${href}add/`}>{href.endsWith('accesstoken/') ? '' : 'Add'}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    ))}
    <History entries={recent} title="Recent actions" withObject />
  </AdminFrame>
)
