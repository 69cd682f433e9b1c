import { useRef, useState, type FormEvent } from "react";
import { graphql, usePaginationFragment, useRelayEnvironment } from "react-relay";
import { useErrorReporter } from "../../ui/errors";
import type { UploadsPanel_viewer$key } from "./__generated__/UploadsPanel_viewer.graphql";
import type { UploadProgress } from "./putObject";
import { UploadItem } from "./UploadItem";
import { uploadFile, type CompletedUpload, type UploadStep } from "./uploadFile";

export const UPLOADS_PAGE_SIZE = 20;

const STEP_LABELS: Record<UploadStep, string> = {
  creating: "Preparing upload…",
  uploading: "Uploading…",
  completing: "Finishing…",
};

export function UploadsPanel({ viewer }: { viewer: UploadsPanel_viewer$key }) {
  const environment = useRelayEnvironment();
  const { report, clear } = useErrorReporter();
  // Later pages come from node(id: viewer) (Viewer implements Node in the api's schema).
  const { data, hasNext, isLoadingNext, loadNext } = usePaginationFragment(
    graphql`
      fragment UploadsPanel_viewer on Viewer
      @refetchable(queryName: "UploadsPanelPaginationQuery")
      @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
        uploads(first: $count, after: $cursor) @connection(key: "UploadsPanel_uploads") {
          __id
          edges {
            node {
              id
              ...UploadItem_upload
            }
          }
        }
      }
    `,
    viewer,
  );
  const fileInput = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [step, setStep] = useState<UploadStep | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [lastUploaded, setLastUploaded] = useState<CompletedUpload | null>(null);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!file) return;
    clear();
    setLastUploaded(null);
    setProgress({ loaded: 0, total: file.size });
    try {
      const upload = await uploadFile(environment, file, {
        onStep: setStep,
        onProgress: setProgress,
        connections: [data.uploads.__id],
      });
      setLastUploaded(upload);
      setFile(null);
      if (fileInput.current) fileInput.current.value = "";
    } catch (error) {
      setProgress(null);
      report(error);
    } finally {
      setStep(null);
    }
  };

  const loadMore = () => loadNext(UPLOADS_PAGE_SIZE, { onComplete: (error) => error && report(error) });
  const busy = step !== null;
  const edges = data.uploads.edges;
  return (
    <section className="panel" aria-labelledby="uploads-heading">
      <h2 id="uploads-heading">Uploads</h2>
      <form onSubmit={onSubmit} className="upload-form" data-testid="upload-form">
        <label htmlFor="upload-file">File</label>
        <input
          id="upload-file"
          ref={fileInput}
          type="file"
          disabled={busy}
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
          data-testid="upload-file-input"
        />
        <button type="submit" disabled={!file || busy} data-testid="upload-submit">
          Upload
        </button>
      </form>
      {progress && (
        <div className="upload-progress">
          <progress
            role="progressbar"
            aria-label="Upload progress"
            max={Math.max(progress.total, 1)}
            value={progress.loaded}
            data-testid="upload-progress"
          />
          <span aria-live="polite" data-testid="upload-status">
            {step ? STEP_LABELS[step] : lastUploaded ? `Uploaded ${lastUploaded.filename}` : null}
          </span>
        </div>
      )}
      {edges.length === 0 ? (
        <p className="muted" data-testid="uploads-empty">
          No uploads yet.
        </p>
      ) : (
        <ul className="item-list" aria-label="My uploads" data-testid="uploads-list">
          {edges.map(({ node }) => (
            <UploadItem key={node.id} upload={node} />
          ))}
        </ul>
      )}
      {hasNext && (
        <button type="button" onClick={loadMore} disabled={isLoadingNext} data-testid="uploads-load-more">
          {isLoadingNext ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}
