import { DaError, DaErrorCode } from "../errors.js";

/**
 * HTTP to one DA node (signer or disperser) as its clients need it: a request under a timeout (`NODE_UNREACHABLE`
 * when there is no answer) and a JSON answer whose `{error: {code, message}}` or non-2xx status becomes `NODE_REFUSED`.
 */
export class DANodeHttp {
  /** `name` starts every error message ("DA signer http://…"); `hint` ends the unreachable one. */
  constructor(
    readonly url: string,
    private readonly name: string,
    private readonly timeoutMs: number,
    private readonly hint = "",
  ) {}

  async send(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fetch(new URL(path, this.url), { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (e) {
      const why = timeout.aborted ? `no answer within ${this.timeoutMs} ms` : (e as Error).message;
      throw new DaError(
        { code: DaErrorCode.NODE_UNREACHABLE, url: this.url },
        `${this.name} did not answer ${path.split("?")[0]}: ${why}${this.hint}`,
        { cause: e },
      );
    }
  }

  async json(res: Response): Promise<unknown> {
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw this.bad(`HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
    if (!res.ok || error) {
      const code = typeof error?.code === "string" ? error.code : `HTTP_${res.status}`;
      const message = typeof error?.message === "string" ? error.message : text.slice(0, 200);
      throw new DaError({ code: DaErrorCode.NODE_REFUSED, url: this.url, status: res.status, nodeCode: code }, `${this.name}: ${message}`);
    }
    return body;
  }

  bad(detail: string): DaError {
    return new DaError({ code: DaErrorCode.NODE_REFUSED, url: this.url, status: 0, nodeCode: "BAD_RESPONSE" }, `${this.name}: ${detail}`);
  }
}
