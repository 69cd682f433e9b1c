import type { GraphQLClient } from "../../api/graphql";
import { completeUpload, createUpload, type Upload } from "./api";
import { putObject, type PutObjectOptions } from "./putObject";

export type UploadStep = "creating" | "uploading" | "completing";

export interface UploadFileOptions extends PutObjectOptions {
  onStep?: (step: UploadStep) => void;
}

/** createUpload → PUT the bytes to the pre-signed URL → completeUpload. */
export async function uploadFile(client: GraphQLClient, file: File, options: UploadFileOptions = {}): Promise<Upload> {
  const { onStep, ...putOptions } = options;
  onStep?.("creating");
  const ticket = await createUpload(client, file);
  onStep?.("uploading");
  await putObject(ticket.uploadUrl, ticket.uploadHeaders, file, putOptions);
  onStep?.("completing");
  return completeUpload(client, ticket.upload.id);
}
