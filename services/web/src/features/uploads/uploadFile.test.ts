import { beforeEach, describe, expect, it, vi } from "vitest";
import { createRelayEnvironment } from "../../api/environment";
import { UserFacingError } from "../../api/userError";
import { asXhr, fakeBackend, FakeXhr } from "../../test/fakes";
import { anUpload, type UploadNode } from "../../test/fixtures";
import { StorageUploadError } from "./putObject";
import { uploadFile, type UploadStep } from "./uploadFile";

const UPLOAD_URL = "https://uploads.example.test/u1/report.pdf?X-Amz-Signature=abc";

function upload(overrides: Partial<UploadNode> = {}): UploadNode {
  return anUpload({ size: 11, status: "PENDING", downloadUrl: null, ...overrides });
}

function setup(createResult: unknown = undefined) {
  const backend = fakeBackend({
    uploadFileCreateMutation: () => ({
      createUpload: createResult ?? {
        __typename: "CreateUploadPayload",
        upload: upload(),
        uploadUrl: UPLOAD_URL,
        uploadHeaders: [
          { name: "Content-Type", value: "application/pdf" },
          { name: "x-amz-server-side-encryption", value: "aws:kms" },
          { name: "Content-Length", value: "11" },
        ],
      },
    }),
    uploadFileCompleteMutation: ({ id }) => ({
      completeUpload: {
        __typename: "CompleteUploadPayload",
        upload: upload({ id: String(id), status: "UPLOADED", downloadUrl: "https://dl.example.test/u1" }),
      },
    }),
  });
  const environment = createRelayEnvironment({ getToken: async () => "tok", onUnauthorized: vi.fn(), fetchFn: backend.fetchFn });
  const file = new File(["hello world"], "report.pdf", { type: "application/pdf" });
  return { ...backend, environment, file };
}

/** Wait until the flow has opened its PUT (after createUpload resolved). */
async function pendingPut(): Promise<FakeXhr> {
  await vi.waitFor(() => expect(FakeXhr.instances).toHaveLength(1));
  return FakeXhr.latest();
}

beforeEach(() => FakeXhr.reset());

describe("uploadFile", () => {
  it("creates the upload, PUTs the bytes with the signed headers while reporting progress, then completes it", async () => {
    const { environment, file, graphqlCalls, operations } = setup();
    const progress = vi.fn();
    const steps: UploadStep[] = [];

    const done = uploadFile(environment, file, {
      onProgress: progress,
      onStep: (step) => steps.push(step),
      createXhr: () => asXhr(new FakeXhr()),
    });
    const xhr = await pendingPut();

    expect(graphqlCalls[0]!.variables).toEqual({ filename: "report.pdf", contentType: "application/pdf", size: 11 });
    expect(xhr.method).toBe("PUT");
    expect(xhr.url).toBe(UPLOAD_URL);
    // Exactly the signed headers, minus Content-Length, which only the browser may set.
    expect(xhr.requestHeaders).toEqual([
      ["Content-Type", "application/pdf"],
      ["x-amz-server-side-encryption", "aws:kms"],
    ]);
    expect(xhr.body).toBe(file);
    expect(operations()).toEqual(["uploadFileCreateMutation"]);

    xhr.emitProgress(4, 11);
    xhr.emitProgress(11, 11);
    expect(progress.mock.calls.map(([p]) => p)).toEqual([
      { loaded: 4, total: 11 },
      { loaded: 11, total: 11 },
    ]);

    xhr.respond(200);
    const completed = await done;

    expect(operations()).toEqual(["uploadFileCreateMutation", "uploadFileCompleteMutation"]);
    expect(graphqlCalls[1]!.variables).toEqual({ id: "up-1" });
    expect(completed).toEqual({ id: "up-1", filename: "report.pdf" });
    const record = environment.getStore().getSource().get("up-1");
    expect(record).toMatchObject({ status: "UPLOADED", downloadUrl: "https://dl.example.test/u1" });
    expect(steps).toEqual(["creating", "uploading", "completing"]);
  });

  it("stops at createUpload's UserError and shows its message, without touching storage", async () => {
    const { environment, file, operations } = setup({
      __typename: "UserError",
      code: "UNSUPPORTED_TYPE",
      message: "Files of type application/pdf are not allowed.",
      field: "contentType",
    });

    const error = await uploadFile(environment, file, { createXhr: () => asXhr(new FakeXhr()) }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UserFacingError);
    expect((error as UserFacingError).message).toBe("Files of type application/pdf are not allowed.");
    expect((error as UserFacingError).field).toBe("contentType");
    expect(FakeXhr.instances).toHaveLength(0);
    expect(operations()).toEqual(["uploadFileCreateMutation"]);
  });

  it("does not complete the upload when storage rejects the PUT", async () => {
    const { environment, file, operations } = setup();

    const done = uploadFile(environment, file, { createXhr: () => asXhr(new FakeXhr()) }).catch((e: unknown) => e);
    (await pendingPut()).respond(403);
    const error = await done;

    expect(error).toBeInstanceOf(StorageUploadError);
    expect((error as StorageUploadError).status).toBe(403);
    expect((error as Error).message).toContain("HTTP 403");
    expect(operations()).toEqual(["uploadFileCreateMutation"]);
  });

  it("reports a network failure of the PUT as a readable error", async () => {
    const { environment, file, operations } = setup();

    const done = uploadFile(environment, file, { createXhr: () => asXhr(new FakeXhr()) }).catch((e: unknown) => e);
    (await pendingPut()).failNetwork();

    expect(((await done) as Error).message).toMatch(/could not reach storage/);
    expect(operations()).toEqual(["uploadFileCreateMutation"]);
  });
});
