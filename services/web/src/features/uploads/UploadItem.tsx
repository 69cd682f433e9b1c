import { graphql, useFragment } from "react-relay";
import { formatBytes, formatDateTime, toIsoOrRaw } from "../../ui/format";
import type { UploadItem_upload$key } from "./__generated__/UploadItem_upload.graphql";

export function UploadItem({ upload: ref }: { upload: UploadItem_upload$key }) {
  const upload = useFragment(
    graphql`
      fragment UploadItem_upload on Upload {
        id
        filename
        size
        status
        createdAt
        downloadUrl
      }
    `,
    ref,
  );
  return (
    <li data-testid="upload-item" data-upload-id={upload.id} data-status={upload.status}>
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
  );
}
