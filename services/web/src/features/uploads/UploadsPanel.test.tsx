import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { createGraphQLClient } from "../../api/graphql";
import { FakeXhr, fakeBackend } from "../../test/fakes";
import { anUpload, connection, viewer } from "../../test/fixtures";
import { ErrorBanner, ErrorProvider } from "../../ui/errors";
import { UploadsPanel } from "./UploadsPanel";

function renderPanel(handlers: Parameters<typeof fakeBackend>[0]) {
  const backend = fakeBackend(handlers);
  const client = createGraphQLClient({ getToken: async () => "tok", onUnauthorized: vi.fn(), fetchFn: backend.fetchFn });
  render(
    <ErrorProvider>
      <ErrorBanner />
      <UploadsPanel client={client} />
    </ErrorProvider>,
  );
  return backend;
}

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
    const backend = renderPanel({
      Uploads: ({ after }) =>
        after === null
          ? viewer("uploads", connection(first, { hasNextPage: true }))
          : viewer("uploads", connection([anUpload({ id: "c", filename: "c.csv" })])),
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
    expect(backend.graphqlCalls.map((call) => call.variables)).toEqual([
      { first: 20, after: null },
      { first: 20, after: "cursor-b" },
    ]);
    expect(screen.queryByTestId("uploads-load-more")).toBeNull();
  });

  it("uploads a picked file with a progress bar and refreshes the list when done", async () => {
    let uploaded = false;
    const backend = renderPanel({
      Uploads: () => viewer("uploads", connection(uploaded ? [anUpload({ id: "new", filename: "notes.txt" })] : [])),
      CreateUpload: () => ({
        createUpload: {
          __typename: "CreateUploadPayload",
          upload: anUpload({ id: "new", filename: "notes.txt", status: "PENDING", downloadUrl: null }),
          uploadUrl: "https://uploads.example.test/new?sig=1",
          uploadHeaders: [{ name: "Content-Type", value: "text/plain" }],
        },
      }),
      CompleteUpload: () => {
        uploaded = true;
        return { completeUpload: { __typename: "CompleteUploadPayload", upload: anUpload({ id: "new" }) } };
      },
    });
    expect(await screen.findByTestId("uploads-empty")).toBeTruthy();
    const file = new File(["0123456789"], "notes.txt", { type: "text/plain" });

    await userEvent.upload(screen.getByTestId("upload-file-input"), file);
    await userEvent.click(screen.getByTestId("upload-submit"));
    await vi.waitFor(() => expect(FakeXhr.instances).toHaveLength(1));
    const xhr = FakeXhr.latest();
    expect(xhr.url).toBe("https://uploads.example.test/new?sig=1");
    expect(xhr.requestHeaders).toEqual([["Content-Type", "text/plain"]]);

    xhr.emitProgress(4, 10);
    const bar = await screen.findByRole("progressbar", { name: "Upload progress" });
    await vi.waitFor(() => expect(bar.getAttribute("value")).toBe("4"));
    expect(bar.getAttribute("max")).toBe("10");
    expect(bar).toBe(screen.getByTestId("upload-progress"));

    xhr.respond(200);

    const item = await screen.findByTestId("upload-item");
    expect(within(item).getByTestId("upload-filename").textContent).toBe("notes.txt");
    expect(bar.getAttribute("value")).toBe("10");
    expect(backend.operations()).toEqual(["Uploads", "CreateUpload", "CompleteUpload", "Uploads"]);
    expect(screen.queryByTestId("error-banner")).toBeNull();
  });

  it("shows createUpload's UserError in the error banner", async () => {
    renderPanel({
      Uploads: () => viewer("uploads", connection([])),
      CreateUpload: () => ({
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

  it("shows a failed list load in the error banner", async () => {
    renderPanel({ Uploads: () => new Response("upstream down", { status: 503 }) });

    expect((await screen.findByTestId("error-banner")).textContent).toContain("HTTP 503");
  });
});
