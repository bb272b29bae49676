// The one way the UI talks to the server: typed JSON calls, errors turned into `ApiError` with the
// server's stable code (docs/api.md, "Errors"), uploads with progress.
import type { components } from './schema';

export type Schemas = components['schemas'];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when any call answers 401 (the session ended): the app goes back to the login screen. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = 'http_' + response.status;
  let message = response.statusText;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not JSON (a proxy's page): keep the status.
  }
  return new ApiError(response.status, code, message);
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** A JSON call; with `contentType`, `body` is sent as the given text instead (e.g. a CSV file). */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  query?: Query,
  contentType?: string,
): Promise<T> {
  let response: Response;
  const raw = contentType !== undefined;
  try {
    response = await fetch(withQuery(path, query), {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': contentType ?? 'application/json' },
      body: body === undefined ? undefined : raw ? String(body) : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'network');
  }
  if (response.status === 401 && !path.endsWith('/auth/login')) onUnauthorized();
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, body ?? {}, query),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

export type Upload = Schemas['UploadView'];

/** Uploads a file with progress (fetch cannot report upload progress; XMLHttpRequest can). */
export function upload(
  file: Blob,
  filename: string,
  onProgress: (fraction: number) => void,
  query?: Query,
): { done: Promise<Upload>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Upload>((resolve, reject) => {
    xhr.open('POST', withQuery('/api/v1/uploads', query));
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: { error?: { code?: string; message?: string } } & Partial<Upload> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // keep the status
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as Upload);
      else {
        if (xhr.status === 401) onUnauthorized();
        reject(new ApiError(xhr.status, body.error?.code ?? 'http_' + xhr.status, body.error?.message ?? ''));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
    const form = new FormData();
    form.append('file', file, filename);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
