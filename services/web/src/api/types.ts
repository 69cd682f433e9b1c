export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Edge<TNode> {
  cursor: string;
  node: TNode;
}

export interface Connection<TNode> {
  edges: Edge<TNode>[];
  pageInfo: PageInfo;
}

export interface UserError {
  __typename: "UserError";
  code: string;
  message: string;
  field: string | null;
}

/** A mutation's domain error (returned as data, not as a GraphQL error), to show as is. */
export class UserFacingError extends Error {
  readonly code: string;
  readonly field: string | null;

  constructor(error: Pick<UserError, "code" | "message" | "field">) {
    super(error.message);
    this.name = "UserFacingError";
    this.code = error.code;
    this.field = error.field;
  }
}

export const USER_ERROR_FIELDS = `
  ... on UserError {
    code
    message
    field
  }
`;

export const PAGE_INFO_FIELDS = `
  pageInfo {
    hasNextPage
    endCursor
  }
`;
