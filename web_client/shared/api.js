// The one REST client of the shopper app and both consoles: JSON in and out, RFC 9457 problem+json decoded
// into ApiError, the UI language in Accept-Language. The shopper is known by its HttpOnly session cookie (same
// origin); a console by the bearer token it keeps in sessionStorage, and it sends no cookie at all.

import { lang } from './i18n.js';

export class ApiError extends Error {
  /** `problem` is the decoded problem document (or any body); status 0 means the request never got an answer. */
  constructor(status, problem) {
    const doc = problem && typeof problem === 'object' ? problem : { detail: String(problem ?? '') };
    super(doc.detail || doc.title || `HTTP ${status}`);
    this.status = status;
    this.problem = doc;
    this.title = doc.title || `HTTP ${status}`;
    this.detail = doc.detail || '';
    this.errors = Array.isArray(doc.errors) ? doc.errors : [];
  }
}

export class Api {
  /**
   * `tokenKey` names the sessionStorage slot of a console's bearer token (it never outlives the browser tab);
   * without one, requests carry the page's same-origin cookie instead (the shopper's session).
   */
  constructor({ tokenKey = null } = {}) {
    this.tokenKey = tokenKey;
  }

  get token() {
    return this.tokenKey ? sessionStorage.getItem(this.tokenKey) : null;
  }

  set token(value) {
    if (!this.tokenKey) throw new Error('this Api uses the session cookie, not a token');
    if (value) sessionStorage.setItem(this.tokenKey, value);
    else sessionStorage.removeItem(this.tokenKey);
  }

  /**
   * `body` may be a plain object (sent as JSON) or a Blob/File (sent raw with `contentType`); `query` entries that
   * are empty are left out. Resolves to `{status, headers, data}`; rejects with ApiError for any non-2xx answer.
   */
  async request(method, path, { body, contentType, query, headers: extra = {} } = {}) {
    const headers = { Accept: 'application/json', 'Accept-Language': lang(), ...extra };
    const token = this.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload;
    if (body instanceof Blob) {
      payload = body;
      headers['Content-Type'] = contentType || body.type || 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    let response;
    try {
      response = await fetch(withQuery(path, query), {
        method, headers, body: payload, credentials: this.tokenKey ? 'omit' : 'same-origin',
      });
    } catch (err) {
      throw new ApiError(0, { title: 'Network error', detail: String(err.message || err) });
    }
    const data = await decode(response);
    if (!response.ok) throw new ApiError(response.status, data);
    return { status: response.status, headers: response.headers, data };
  }

  get(path, opts) { return this.request('GET', path, opts).then((r) => r.data); }
  /** The whole answer: a 201/202's Location header matters to callers. */
  post(path, body, opts = {}) { return this.request('POST', path, { ...opts, body }); }
  put(path, body, opts = {}) { return this.request('PUT', path, { ...opts, body }).then((r) => r.data); }
  patch(path, body, opts = {}) { return this.request('PATCH', path, { ...opts, body }).then((r) => r.data); }
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** A JSON body decoded, any other text as it is, nothing as null (a 204, or a JSON body that does not parse). */
async function decode(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  if (!(response.headers.get('Content-Type') || '').includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Path segment escaping for slugs and SKUs. */
export const seg = (value) => encodeURIComponent(value);
