import { graphql } from "react-relay";
import type { Environment } from "relay-runtime";
import { commitMutationAsync, prependNode } from "../../api/mutation";
import { expectPayload } from "../../api/userError";
import type { uploadFileCompleteMutation } from "./__generated__/uploadFileCompleteMutation.graphql";
import type { uploadFileCreateMutation } from "./__generated__/uploadFileCreateMutation.graphql";
import { putObject, type PutObjectOptions } from "./putObject";

export type UploadStep = "creating" | "uploading" | "completing";

export interface UploadFileOptions extends PutObjectOptions {
  onStep?: (step: UploadStep) => void;
  /** Connections (their __id) the completed upload is added to, first. */
  connections?: readonly string[];
}

const createUploadMutation = graphql`
  mutation uploadFileCreateMutation($filename: String!, $contentType: String!, $size: Int!) {
    createUpload(input: { filename: $filename, contentType: $contentType, size: $size }) {
      __typename
      ... on CreateUploadPayload {
        upload {
          id
        }
        uploadUrl
        uploadHeaders {
          name
          value
        }
      }
      ... on UserError {
        code
        message
        field
      }
    }
  }
`;

// The upload joins the list only once the server has checked the object, as it did before Relay.
const completeUploadMutation = graphql`
  mutation uploadFileCompleteMutation($id: ID!) {
    completeUpload(input: { id: $id }) {
      __typename
      ... on CompleteUploadPayload {
        upload {
          id
          filename
          ...UploadItem_upload
        }
      }
      ... on UserError {
        code
        message
        field
      }
    }
  }
`;

/** The type the browser reports, or a generic one: S3 and the api both need a value. */
export function contentTypeOf(file: File): string {
  return file.type || "application/octet-stream";
}

export interface CompletedUpload {
  id: string;
  filename: string;
}

/** createUpload → PUT the bytes to the pre-signed URL → completeUpload. */
export async function uploadFile(
  environment: Environment,
  file: File,
  options: UploadFileOptions = {},
): Promise<CompletedUpload> {
  const { onStep, connections = [], ...putOptions } = options;
  onStep?.("creating");
  const created = await commitMutationAsync<uploadFileCreateMutation>(environment, createUploadMutation, {
    filename: file.name,
    contentType: contentTypeOf(file),
    size: file.size,
  });
  const ticket = expectPayload(created.createUpload, "CreateUploadPayload");
  onStep?.("uploading");
  await putObject(ticket.uploadUrl, ticket.uploadHeaders, file, putOptions);
  onStep?.("completing");
  const completed = await commitMutationAsync<uploadFileCompleteMutation>(
    environment,
    completeUploadMutation,
    { id: ticket.upload.id },
    prependNode({ rootField: "completeUpload", nodeField: "upload", edgeType: "UploadEdge", connections }),
  );
  const { upload } = expectPayload(completed.completeUpload, "CompleteUploadPayload");
  return { id: upload.id, filename: upload.filename };
}
