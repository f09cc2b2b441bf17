// The REST client both consoles share: bearer token from sessionStorage, problem+json decoded into ApiError.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || '';
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

export class Api {
  /** `storageKey` names the sessionStorage slot; a console's token never outlives the browser tab. */
  constructor(storageKey) {
    this.storageKey = storageKey;
  }

  get token() {
    return sessionStorage.getItem(this.storageKey);
  }

  set token(value) {
    if (value) sessionStorage.setItem(this.storageKey, value);
    else sessionStorage.removeItem(this.storageKey);
  }

  /**
   * `body` may be a plain object (sent as JSON) or a Blob/File (sent raw with `contentType`).
   * Resolves to `{status, headers, data}`; rejects with ApiError for any non-2xx answer.
   */
  async request(method, path, { body, contentType, query } = {}) {
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload;
    if (body instanceof Blob) {
      payload = body;
      headers['Content-Type'] = contentType || body.type || 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    let url = path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, v);
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body: payload, credentials: 'omit' });
    } catch (err) {
      throw new ApiError(0, { title: 'Network error', detail: String(err.message || err) });
    }
    const type = response.headers.get('Content-Type') || '';
    let data = null;
    if (response.status !== 204) {
      const text = await response.text();
      if (text && (type.includes('json'))) {
        try { data = JSON.parse(text); } catch { data = null; }
      } else {
        data = text || null;
      }
    }
    if (!response.ok) {
      throw new ApiError(response.status, data && typeof data === 'object' ? data : { detail: String(data || '') });
    }
    return { status: response.status, headers: response.headers, data };
  }

  get(path, opts) { return this.request('GET', path, opts).then((r) => r.data); }
  post(path, body, opts = {}) { return this.request('POST', path, { ...opts, body }); }
  put(path, body, opts = {}) { return this.request('PUT', path, { ...opts, body }).then((r) => r.data); }
  patch(path, body) { return this.request('PATCH', path, { body }).then((r) => r.data); }
}

/** Path segment escaping for slugs and SKUs. */
export const seg = (value) => encodeURIComponent(value);
