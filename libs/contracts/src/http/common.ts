/** Building blocks of the HTTP answer schemas: timestamps as JSON carries them, nullable values, string enums. */
import { type TLiteral, type TSchema, type TUnion, Type, type TNull } from '@sinclair/typebox';

/** A moment as JSON carries it: the ISO 8601 string a Date becomes. */
export const Timestamp = Type.String({ format: 'date-time' });

export function Nullable<T extends TSchema>(schema: T): TUnion<[T, TNull]> {
  return Type.Union([schema, Type.Null()]);
}

/** One of these strings. */
export function OneOf<const T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)));
}
