/** One HTTP request to the request API, as API Gateway (payload v2) and the embedded control server hand it over. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** The answer: a status and a JSON body. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One route; `path` has `{param}` segments, such as `/tasks/{name}`. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  handle(request: ApiRequest, params: Readonly<Record<string, string>>): Promise<ApiResponse>;
}
