/** A mutation's domain error (returned as data, not as a GraphQL error), to show as is. */
export class UserFacingError extends Error {
  readonly code: string;
  readonly field: string | null;

  constructor({ code, message, field }: { code: string; message: string; field: string | null | undefined }) {
    super(message);
    this.name = "UserFacingError";
    this.code = code;
    this.field = field ?? null;
  }
}

/** A `*Result` union as Relay types it: each member by its __typename, "%other" for any it does not know. */
type UnionResult =
  | { readonly __typename: "UserError"; readonly code: string; readonly message: string; readonly field: string | null | undefined }
  | { readonly __typename: string };

/**
 * The payload member of a `*Result` union (every mutation selects `... on UserError { code message
 * field }`): throws the UserError as a UserFacingError, and a type this build does not know (a newer
 * api) as a plain error.
 */
export function expectPayload<TResult extends UnionResult, TName extends TResult["__typename"]>(
  result: TResult,
  typename: TName,
): Extract<TResult, { __typename: TName }> {
  if (result.__typename === typename) return result as Extract<TResult, { __typename: TName }>;
  if (isUserError(result)) throw new UserFacingError(result);
  throw new Error(`The server answered with an unexpected result (${result.__typename}). Please reload the page.`);
}

function isUserError(result: UnionResult): result is Extract<UnionResult, { __typename: "UserError" }> {
  return result.__typename === "UserError";
}
