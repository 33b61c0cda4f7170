/**
 * The mapping engine's view of an HL7 message (SourceAccessor): `get` is the decoded value at an
 * HL7 path (component/subcomponent default to 1, HL7 null `""` reads as absent), `getAll` the
 * decoded values over repetitions and, when the path names no occurrence, over every segment
 * with that id. A malformed path is a mapping configuration error.
 */
import { AppError, isAppError } from '../../../../shared/errors'
import type { SourceAccessor } from '../../mapping/source'
import type { Hl7Message } from './message'

function asMappingError(e: unknown, path: string): unknown {
  if (isAppError(e) && e.code === 'invalid_input') {
    return new AppError('mapping_error', e.message, { retryable: false, details: { path: path.slice(0, 80) } })
  }
  return e
}

export function hl7Accessor(message: Hl7Message): SourceAccessor {
  return {
    get(path: string): string | undefined {
      try {
        return message.get(path)
      } catch (e) {
        throw asMappingError(e, path)
      }
    },
    getAll(path: string): string[] {
      try {
        return message.getAll(path)
      } catch (e) {
        throw asMappingError(e, path)
      }
    },
  }
}
