// The inbox's HTTP API with a user's session cookie: the tests use it to set up state (assign,
// resolve, create quick replies), never to check what the UI shows.

export class Api {
  constructor(base, cookie) {
    this.base = base;
    this.cookie = cookie;
  }

  static async login(base, { email, password }) {
    const r = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (!r.ok) throw new Error(`login as ${email}: HTTP ${r.status} ${await r.text()}`);
    const cookie = r.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return new Api(base, cookie);
  }

  async call(method, path, body) {
    const r = await fetch(`${this.base}${path}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  get(path) {
    return this.call('GET', path);
  }

  post(path, body = {}) {
    return this.call('POST', path, body);
  }

  patch(path, body) {
    return this.call('PATCH', path, body);
  }

  /** A user's id by e-mail. */
  async userId(email) {
    const users = await this.get('/api/v1/users');
    const u = (users.items ?? users).find((x) => x.email === email);
    if (!u) throw new Error(`no user ${email}`);
    return u.id;
  }
}
