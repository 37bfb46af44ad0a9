/** @module The admin's group pages: list, add, change (name, members, history). */
import type { FC } from 'hono/jsx'
import type { Session } from '../../session'
import { sessionCsrfToken } from '../../csrf'
import type { AdminLogEntry } from '../../../store/admin-log'
import { CsrfInput } from '../layout'
import { Field } from '../field'
import { AdminFrame, type AdminListProps, History, Multi, Pager, Search } from './parts'
import type { FormErrors } from './users'

const GROUPS: [string, string] = ['/admin/auth/group/', 'Groups']

type ListProps = AdminListProps<{ id: number; name: string; members: number }>

export const GroupListPage: FC<ListProps> = ({ session, rows, total, page, query, notice }) => (
  <AdminFrame session={session} title="Groups" notice={notice}>
    <Search q={query.get('q') ?? ''} />
    <div class="card">
      <table class="list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Members</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((g) => (
            <tr>
              <td>
                <a href={`/admin/auth/group/${g.id}/change/`}>{g.name}</a>
              </td>
              <td>{g.members}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager total={total} page={page} query={query} />
      <div class="actions">
        <a class="button" href="/admin/auth/group/add/">
          Add group
        </a>
      </div>
    </div>
  </AdminFrame>
)

type FormProps = {
  session: Session
  group?: { id: number; name: string }
  name: string
  users?: Array<{ id: number; username: string }>
  memberIds?: number[]
  history?: AdminLogEntry[]
  errors?: FormErrors
  notice?: string
}

/** Add (no `group`) or change a group. */
export const GroupFormPage: FC<FormProps> = ({
  session,
  group,
  name,
  users,
  memberIds = [],
  history,
  errors = {},
  notice,
}) => {
  const action = group ? `/admin/auth/group/${group.id}/change/` : '/admin/auth/group/add/'
  return (
    <AdminFrame
      session={session}
      title={group ? `Change group “${group.name}”` : 'Add group'}
      crumbs={[GROUPS]}
      notice={notice}
    >
      <form class="card" method="post" action={action} novalidate>
        {Object.keys(errors).length > 0 && (
          <div class="alert error" role="alert">
            Please correct the errors below.
          </div>
        )}
        <Field id="id_name" label="Name" errors={errors.name}>
          <input type="text" id="id_name" name="name" value={name} maxlength={150} required />
        </Field>
        {group && users && (
          <Multi name="members" label="Members" options={users.map((u) => [u.id, u.username])} selected={memberIds} />
        )}
        {errors.members?.map((m) => (
          <p class="field-error">{m}</p>
        ))}
        <CsrfInput token={sessionCsrfToken(session)} />
        <div class="actions">
          <button type="submit">Save</button>
          {group && (
            <a class="button danger" href={`/admin/auth/group/${group.id}/delete/`}>
              Delete
            </a>
          )}
        </div>
      </form>
      {history && <History entries={history} />}
    </AdminFrame>
  )
}
