/**
 * What a value becomes on the wire. Controllers return `Json<…>` of what their services
 * produce, typed as the answer's schema in libs/contracts, so the compiler holds every route to
 * the body /docs promises: a Date field must be a timestamp there, a nullable one nullable.
 */

/** A value as JSON.stringify writes it: a Date as its ISO string, the rest alike. */
export type Json<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

/** The same value, typed as it travels: Fastify serialises it with JSON.stringify, Dates included. */
export function asJson<T>(value: Promise<T>): Promise<Json<T>>;
export function asJson<T>(value: T): Json<T>;
export function asJson(value: unknown): unknown {
  return value;
}
