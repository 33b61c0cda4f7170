import { z } from 'zod'
import type { Permission } from './permissions'

export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** The permission a caller needs (permissions.ts); the engine refuses the call without it. */
  permission: Permission
  input: I
  output: O
}

export const method = <I extends z.ZodType, O extends z.ZodType>(permission: Permission, input: I, output: O): MethodDef<I, O> => ({ permission, input, output })

export const empty = z.object({}).strict()
export const idInput = z.object({ id: z.string().min(1) })
export const numericIdInput = z.object({ id: z.number().int().positive() })
