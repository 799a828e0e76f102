/**
 * Ends a switch over a union: the call does not compile while a member lacks its case, so adding
 * a member (a frequency, a job type, a status) makes the compiler name every place to handle it.
 * Reached at run time only by data the types do not describe (a stored record from a newer version).
 */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
