/** @module The API's JSON shapes, as the tutorial's DRF serializers render them. */
import type { User } from '../store/users'

export const toUserJson = (u: Pick<User, 'username' | 'email' | 'firstName' | 'lastName'>) => ({
  username: u.username,
  email: u.email,
  first_name: u.firstName,
  last_name: u.lastName,
})

export const toGroupJson = (g: { name: string }) => ({ name: g.name })
