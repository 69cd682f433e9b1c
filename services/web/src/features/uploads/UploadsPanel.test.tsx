import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { FakeXhr } from "../../test/fakes";
import { anUpload, connection, viewer } from "../../test/fixtures";
import { renderWorkspace } from "../../test/renderWorkspace";

beforeEach(() => {
  FakeXhr.reset();
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});

describe("UploadsPanel", () => {
  it("lists my uploads with size, status and a download link only when one is available, and loads more", async () => {
    const first = [
      anUpload({ id: "a", filename: "a.png", size: 1536 }),
      anUpload({ id: "b", filename: "b.txt", status: "PENDING", downloadUrl: null }),
    ];
    const backend = renderWorkspace({
      WorkspaceQuery: () => viewer({ uploads: connection(first, { hasNextPage: true }) }),
      UploadsPanelPaginationQuery: () => viewer({ uploads: connection([anUpload({ id: "c", filename: "c.csv" })]) }),
    });

    const items = await screen.findAllByTestId("upload-item");
    expect(items.map((item) => within(item).getByTestId("upload-filename").textContent)).toEqual(["a.png", "b.txt"]);
    expect(within(items[0]!).getByText("1.5 KB")).toBeTruthy();
    expect(within(items[0]!).getByTestId("upload-download-link").getAttribute("href")).toBe(
      "https://downloads.example.test/up-1",
    );
    expect(within(items[1]!).getByTestId("upload-item-status").textContent).toBe("PENDING");
    expect(within(items[1]!).queryByTestId("upload-download-link")).toBeNull();

    await userEvent.click(screen.getByTestId("uploads-load-more"));

    await vi.waitFor(() => expect(screen.getAllByTestId("upload-item")).toHaveLength(3));
    expect(backend.operations()).toEqual(["WorkspaceQuery", "UploadsPanelPaginationQuery"]);
    expect(backend.graphqlCalls[1]!.variables).toEqual({ count: 20, cursor: "cursor-b" });
    expect(screen.queryByTestId("uploads-load-more")).toBeNull();
  });

  it("uploads a picked file with a progress bar and lists it when done", async () => {
    const backend = renderWorkspace({
      WorkspaceQuery: () => viewer(),
      uploadFileCreateMutation: () => ({
        createUpload: {
          __typename: "CreateUploadPayload",
          upload: anUpload({ id: "new", filename: "notes.txt", status: "PENDING", downloadUrl: null }),
          uploadUrl: "https://uploads.example.test/new?sig=1",
          uploadHeaders: [{ name: "Content-Type", value: "text/plain" }],
        },
      }),
      uploadFileCompleteMutation: () => ({
        completeUpload: { __typename: "CompleteUploadPayload", upload: anUpload({ id: "new", filename: "notes.txt" }) },
      }),
    });
    expect(await screen.findByTestId("uploads-empty")).toBeTruthy();
    const file = new File(["0123456789"], "notes.txt", { type: "text/plain" });

    await userEvent.upload(screen.getByTestId("upload-file-input"), file);
    await userEvent.click(screen.getByTestId("upload-submit"));
    await vi.waitFor(() => expect(FakeXhr.instances).toHaveLength(1));
    const xhr = FakeXhr.latest();
    expect(xhr.url).toBe("https://uploads.example.test/new?sig=1");
    expect(xhr.requestHeaders).toEqual([["Content-Type", "text/plain"]]);
    expect(screen.queryByTestId("upload-item")).toBeNull(); // listed once the server has checked it

    xhr.emitProgress(4, 10);
    const bar = await screen.findByRole("progressbar", { name: "Upload progress" });
    await vi.waitFor(() => expect(bar.getAttribute("value")).toBe("4"));
    expect(bar.getAttribute("max")).toBe("10");
    expect(bar).toBe(screen.getByTestId("upload-progress"));

    xhr.respond(200);

    const item = await screen.findByTestId("upload-item");
    expect(within(item).getByTestId("upload-filename").textContent).toBe("notes.txt");
    expect(item.getAttribute("data-status")).toBe("UPLOADED");
    expect(bar.getAttribute("value")).toBe("10");
    await vi.waitFor(() => expect(screen.getByTestId("upload-status").textContent).toBe("Uploaded notes.txt"));
    expect(backend.operations()).toEqual(["WorkspaceQuery", "uploadFileCreateMutation", "uploadFileCompleteMutation"]);
    expect(backend.graphqlCalls[2]!.variables).toEqual({ id: "new" }); // only what the document declares
    expect(screen.queryByTestId("error-banner")).toBeNull();
  });

  it("shows createUpload's UserError in the error banner", async () => {
    renderWorkspace({
      WorkspaceQuery: () => viewer(),
      uploadFileCreateMutation: () => ({
        createUpload: { __typename: "UserError", code: "TOO_LARGE", message: "File is larger than 25 MB.", field: "size" },
      }),
    });
    await screen.findByTestId("uploads-empty");

    await userEvent.upload(screen.getByTestId("upload-file-input"), new File(["x"], "big.bin"));
    await userEvent.click(screen.getByTestId("upload-submit"));

    const banner = await screen.findByTestId("error-banner");
    expect(banner.getAttribute("role")).toBe("alert");
    expect(banner.textContent).toContain("File is larger than 25 MB.");
    expect(FakeXhr.instances).toHaveLength(0);
    expect(screen.queryByTestId("upload-progress")).toBeNull();
  });

  it("shows a failed load in the error banner and loads again on retry", async () => {
    let status = 503;
    const backend = renderWorkspace({
      WorkspaceQuery: () => (status === 503 ? new Response("upstream down", { status }) : viewer()),
    });

    expect((await screen.findByTestId("error-banner")).textContent).toContain("HTTP 503");
    status = 200;
    await userEvent.click(screen.getByTestId("load-retry"));

    expect(await screen.findByTestId("uploads-empty")).toBeTruthy();
    expect(screen.queryByTestId("error-banner")).toBeNull();
    expect(backend.operations()).toEqual(["WorkspaceQuery", "WorkspaceQuery"]);
  });
});
