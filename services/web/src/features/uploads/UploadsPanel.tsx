import { useCallback, useRef, useState, type FormEvent } from "react";
import type { GraphQLClient } from "../../api/graphql";
import { usePaginatedList } from "../../api/usePaginatedList";
import { useErrorReporter } from "../../ui/errors";
import { formatBytes, formatDateTime, toIsoOrRaw } from "../../ui/format";
import { fetchUploads, type Upload } from "./api";
import type { UploadProgress } from "./putObject";
import { uploadFile, type UploadStep } from "./uploadFile";

const STEP_LABELS: Record<UploadStep, string> = {
  creating: "Preparing upload…",
  uploading: "Uploading…",
  completing: "Finishing…",
};

export function UploadsPanel({ client }: { client: GraphQLClient }) {
  const { report, clear } = useErrorReporter();
  const loadPage = useCallback((after: string | null) => fetchUploads(client, after), [client]);
  const uploads = usePaginatedList(loadPage, report);
  const fileInput = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [step, setStep] = useState<UploadStep | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [lastUploaded, setLastUploaded] = useState<Upload | null>(null);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!file) return;
    clear();
    setLastUploaded(null);
    setProgress({ loaded: 0, total: file.size });
    try {
      const upload = await uploadFile(client, file, { onStep: setStep, onProgress: setProgress });
      setLastUploaded(upload);
      setFile(null);
      if (fileInput.current) fileInput.current.value = "";
      await uploads.reload();
    } catch (error) {
      setProgress(null);
      report(error);
    } finally {
      setStep(null);
    }
  };

  const busy = step !== null;
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
      <UploadList uploads={uploads.items} />
      {uploads.hasNextPage && (
        <button
          type="button"
          onClick={() => void uploads.loadMore()}
          disabled={uploads.loading}
          data-testid="uploads-load-more"
        >
          {uploads.loading ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}

function UploadList({ uploads }: { uploads: Upload[] }) {
  if (uploads.length === 0) return <p className="muted" data-testid="uploads-empty">No uploads yet.</p>;
  return (
    <ul className="item-list" aria-label="My uploads" data-testid="uploads-list">
      {uploads.map((upload) => (
        <li key={upload.id} data-testid="upload-item" data-upload-id={upload.id} data-status={upload.status}>
          <span className="item-title" data-testid="upload-filename">
            {upload.filename}
          </span>
          <span className="muted">{formatBytes(upload.size)}</span>
          <span className={`badge badge-${upload.status.toLowerCase()}`} data-testid="upload-item-status">
            {upload.status}
          </span>
          <time dateTime={toIsoOrRaw(upload.createdAt)} className="muted">
            {formatDateTime(upload.createdAt)}
          </time>
          {upload.downloadUrl && (
            <a href={upload.downloadUrl} rel="noopener noreferrer" data-testid="upload-download-link">
              Download<span className="visually-hidden"> {upload.filename}</span>
            </a>
          )}
        </li>
      ))}
    </ul>
  );
}
