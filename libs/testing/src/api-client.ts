/** A small JSON client for driving services over real HTTP in tests. */

export interface ApiResponse {
  status: number;
  // Tests read arbitrary response shapes; the assertions are the type check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

export interface ApiClient {
  get(path: string): Promise<ApiResponse>;
  post(path: string, body?: unknown): Promise<ApiResponse>;
  put(path: string, body?: unknown): Promise<ApiResponse>;
  patch(path: string, body?: unknown): Promise<ApiResponse>;
  delete(path: string): Promise<ApiResponse>;
  /** Sends `body` as-is (a string is not JSON-encoded), for malformed-input tests. */
  raw(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<ApiResponse>;
}

export function apiClient(baseUrl: string, token?: string): ApiClient {
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const raw = async (method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const json = (method: string) => (path: string, body?: unknown) => raw(method, path, body === undefined ? undefined : JSON.stringify(body));
  return { get: (p) => raw('GET', p), post: json('POST'), put: json('PUT'), patch: json('PATCH'), delete: (p) => raw('DELETE', p), raw };
}
