import { z } from 'zod'

export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I
  output: O
}

export const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodDef<I, O> => ({ input, output })

export const empty = z.object({}).strict()
export const idInput = z.object({ id: z.string().min(1) })
export const numericIdInput = z.object({ id: z.number().int().positive() })
