/**
 * The console's only way to reach the gateway: every call is SigV4-signed in the browser with
 * the session's temporary credentials (aws4fetch), for the service the route expects: `sigil`
 * for /sigil/v1, `lambda` for the Lambda REST API and function triggers, `iam` for the IAM
 * query API. The gateway is the page's own origin.
 */
import { AwsClient } from "aws4fetch";
import { ApiError, errorFromResponse } from "./errors.ts";
import type { Session } from "./session.ts";

export type Service = "sigil" | "lambda" | "execute-api" | "iam" | "sts";

/** Larger answers are refused rather than held in the tab. */
const MAX_ANSWER_CHARS = 8 * 1024 * 1024;
/** No call may hang a page forever. */
const CALL_TIMEOUT_MS = 30_000;

export interface RawAnswer {
	readonly status: number;
	readonly headers: Headers;
	readonly text: string;
}

export class Api {
	readonly session: Session;
	readonly origin: string;
	readonly #clients = new Map<Service, AwsClient>();

	constructor(session: Session, origin: string) {
		this.session = session;
		this.origin = origin;
	}

	#client(service: Service): AwsClient {
		let client = this.#clients.get(service);
		if (!client) {
			client = new AwsClient({
				accessKeyId: this.session.accessKeyId,
				secretAccessKey: this.session.secretAccessKey,
				sessionToken: this.session.sessionToken,
				service,
				region: this.session.region,
				// A refused or failed call is shown as it is, never retried behind the user's back.
				retries: 0,
			});
			this.#clients.set(service, client);
		}
		return client;
	}

	/** A signed call; answers of any status come back (callers decide what is an error). */
	async raw(
		service: Service,
		method: string,
		path: string,
		body?: string,
		headers: Record<string, string> = {},
	): Promise<RawAnswer> {
		const request = await this.#client(service).sign(
			new URL(path, this.origin).toString(),
			{
				method,
				headers,
				...(body !== undefined && { body }),
			},
		);
		const response = await fetch(request, {
			signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
			credentials: "omit",
			cache: "no-store",
		});
		const text = await response.text();
		if (text.length > MAX_ANSWER_CHARS)
			throw new ApiError(
				response.status,
				"ANSWER_TOO_LARGE",
				`the answer is larger than ${MAX_ANSWER_CHARS} characters`,
				null,
			);
		return { status: response.status, headers: response.headers, text };
	}

	async #json<T>(
		service: Service,
		method: string,
		path: string,
		body?: unknown,
	): Promise<T> {
		const answer = await this.raw(
			service,
			method,
			path,
			body === undefined ? undefined : JSON.stringify(body),
			body === undefined ? {} : { "content-type": "application/json" },
		);
		if (answer.status >= 400)
			throw errorFromResponse(answer.status, answer.headers, answer.text);
		if (answer.status === 204 || answer.text === "") return undefined as T;
		return JSON.parse(answer.text) as T;
	}

	/** The control-plane API (docs/control-plane.md), service `sigil`. */
	sigil<T>(method: string, path: string, body?: unknown): Promise<T> {
		return this.#json<T>("sigil", method, `/sigil/v1${path}`, body);
	}

	/** The Lambda REST API (`/2015-03-31/…`), service `lambda`. */
	lambda<T>(method: string, path: string, body?: unknown): Promise<T> {
		return this.#json<T>("lambda", method, path, body);
	}

	/** The IAM query API (POST /, service `iam`); answers the parsed XML document. */
	async iam(action: string, params: Record<string, string>): Promise<Document> {
		const form = new URLSearchParams({
			Action: action,
			Version: "2010-05-08",
			...params,
		});
		const answer = await this.raw("iam", "POST", "/", form.toString(), {
			"content-type": "application/x-www-form-urlencoded; charset=utf-8",
		});
		if (answer.status >= 400)
			throw errorFromResponse(answer.status, answer.headers, answer.text);
		return new DOMParser().parseFromString(answer.text, "application/xml");
	}
}

/** The text of the first element named `tag` under `node`, or "". */
export function xmlText(node: ParentNode, tag: string): string {
	return node.querySelector(tag)?.textContent ?? "";
}
