/** @module A labelled form field with its hint and its errors, shared by every form page. */
import type { Child, FC } from 'hono/jsx'

type FieldProps = { id: string; label: string; hint?: string; errors?: string[]; children?: Child }

/** A labelled field, its hint, and its errors (linked to the input for screen readers). */
export const Field: FC<FieldProps> = ({ id, label, hint, errors, children }) => (
  <div class={errors?.length ? 'invalid' : undefined}>
    <label for={id}>
      {label}
      {hint && <span class="hint">{hint}</span>}
    </label>
    {children}
    {errors?.map((message) => (
      <p class="field-error" id={`${id}-error`}>
        {message}
      </p>
    ))}
  </div>
)

/** The attributes that tie an input to its errors, when it has any. */
export const invalidAttrs = (id: string, errors?: string[]) =>
  errors?.length ? { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` } : {}
