/** A header the pre-signed request must carry, exactly (schema: HttpHeader). */
export interface HttpHeader {
  readonly name: string;
  readonly value: string;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export class StorageUploadError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = "StorageUploadError";
    this.status = status;
  }
}

// The browser computes these itself and refuses to let scripts set them.
const BROWSER_CONTROLLED_HEADERS = new Set(["content-length", "host", "connection"]);

export interface PutObjectOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  createXhr?: () => XMLHttpRequest;
}

/**
 * PUT the file's bytes straight to the pre-signed S3 URL with exactly the headers the api signed.
 * XMLHttpRequest rather than fetch: fetch still reports no upload progress.
 */
export function putObject(
  url: string,
  headers: readonly HttpHeader[],
  body: Blob,
  { onProgress, signal, createXhr = () => new XMLHttpRequest() }: PutObjectOptions = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = createXhr();
    xhr.open("PUT", url);
    for (const { name, value } of headers) {
      if (!BROWSER_CONTROLLED_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      onProgress?.({ loaded: event.loaded, total: event.lengthComputable ? event.total : body.size });
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.({ loaded: body.size, total: body.size });
        resolve();
      } else {
        reject(new StorageUploadError(`Storage rejected the upload (HTTP ${xhr.status}).`, xhr.status));
      }
    };
    xhr.onerror = () => reject(new StorageUploadError("The upload failed: could not reach storage.", 0));
    xhr.onabort = () => reject(new StorageUploadError("The upload was cancelled.", 0));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
