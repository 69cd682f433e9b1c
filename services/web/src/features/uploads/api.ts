import type { GraphQLClient } from "../../api/graphql";
import { PAGE_INFO_FIELDS, USER_ERROR_FIELDS, UserFacingError, type Connection, type UserError } from "../../api/types";

export type UploadStatus = "PENDING" | "UPLOADED";

export interface Upload {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  status: UploadStatus;
  createdAt: string;
  downloadUrl: string | null;
}

export interface HttpHeader {
  name: string;
  value: string;
}

export interface UploadTicket {
  upload: Upload;
  uploadUrl: string;
  uploadHeaders: HttpHeader[];
}

export const UPLOADS_PAGE_SIZE = 20;

const UPLOAD_FIELDS = `
  id
  filename
  contentType
  size
  status
  createdAt
  downloadUrl
`;

export const UPLOADS_QUERY = `
  query Uploads($first: Int!, $after: String) {
    viewer {
      id
      uploads(first: $first, after: $after) {
        edges { cursor node { ${UPLOAD_FIELDS} } }
        ${PAGE_INFO_FIELDS}
      }
    }
  }
`;

export const CREATE_UPLOAD_MUTATION = `
  mutation CreateUpload($filename: String!, $contentType: String!, $size: Int!) {
    createUpload(input: { filename: $filename, contentType: $contentType, size: $size }) {
      __typename
      ... on CreateUploadPayload {
        upload { ${UPLOAD_FIELDS} }
        uploadUrl
        uploadHeaders { name value }
      }
      ${USER_ERROR_FIELDS}
    }
  }
`;

export const COMPLETE_UPLOAD_MUTATION = `
  mutation CompleteUpload($id: ID!) {
    completeUpload(input: { id: $id }) {
      __typename
      ... on CompleteUploadPayload {
        upload { ${UPLOAD_FIELDS} }
      }
      ${USER_ERROR_FIELDS}
    }
  }
`;

type CreateUploadResult = ({ __typename: "CreateUploadPayload" } & UploadTicket) | UserError;
type CompleteUploadResult = { __typename: "CompleteUploadPayload"; upload: Upload } | UserError;

export async function fetchUploads(client: GraphQLClient, after: string | null): Promise<Connection<Upload>> {
  const data = await client<{ viewer: { uploads: Connection<Upload> } }>(UPLOADS_QUERY, {
    first: UPLOADS_PAGE_SIZE,
    after,
  });
  return data.viewer.uploads;
}

/** The type the browser reports, or a generic one: S3 and the api both need a value. */
export function contentTypeOf(file: File): string {
  return file.type || "application/octet-stream";
}

export async function createUpload(client: GraphQLClient, file: File): Promise<UploadTicket> {
  const { createUpload: result } = await client<{ createUpload: CreateUploadResult }>(CREATE_UPLOAD_MUTATION, {
    filename: file.name,
    contentType: contentTypeOf(file),
    size: file.size,
  });
  if (result.__typename === "UserError") throw new UserFacingError(result);
  return { upload: result.upload, uploadUrl: result.uploadUrl, uploadHeaders: result.uploadHeaders };
}

export async function completeUpload(client: GraphQLClient, id: string): Promise<Upload> {
  const { completeUpload: result } = await client<{ completeUpload: CompleteUploadResult }>(
    COMPLETE_UPLOAD_MUTATION,
    { id },
  );
  if (result.__typename === "UserError") throw new UserFacingError(result);
  return result.upload;
}
