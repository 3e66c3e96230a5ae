/**
 * One request/response pair as it moves through the pipeline, with the facts every phase needs:
 * the request id, the raw target split once, the buffered body, and which error dialect the
 * caller speaks (chosen as soon as the route and its authentication scheme are known).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** How errors are worded for this caller: AWS JSON, Function Compute JSON, or Sigil's own. */
export type Dialect = "aws" | "aws-lambda" | "fc" | "sigil";

export class Exchange {
	readonly id = randomUUID();
	readonly receivedAt = Date.now();
	readonly req: IncomingMessage;
	readonly res: ServerResponse;
	/** The request-target as received (path and query, still percent-encoded). */
	readonly target: string;
	readonly rawPath: string;
	readonly rawQuery: string;
	body: Buffer = Buffer.alloc(0);
	dialect: Dialect = "sigil";
	/** Set once the caller is authenticated. */
	principal: Principal | undefined;

	constructor(req: IncomingMessage, res: ServerResponse) {
		this.req = req;
		this.res = res;
		this.target = req.url ?? "/";
		const q = this.target.indexOf("?");
		this.rawPath = q === -1 ? this.target : this.target.slice(0, q);
		this.rawQuery = q === -1 ? "" : this.target.slice(q + 1);
	}

	get method(): string {
		return this.req.method ?? "GET";
	}

	header(name: string): string | undefined {
		const v = this.req.headers[name];
		return Array.isArray(v) ? v.join(", ") : v;
	}

	get sourceIp(): string {
		return this.req.socket.remoteAddress ?? "";
	}
}

/** A verified caller. `scheme` says which signature proved it. */
export interface Principal {
	readonly accountId: string;
	readonly arn: string;
	readonly userId: string;
	readonly accessKeyId: string;
	readonly userName?: string;
	readonly scheme:
		| "sigv4"
		| "acs3"
		| "fc"
		| "hmac"
		| "webhook"
		| "none"
		/** HTTP basic auth with an access key (OpenFaaS's API, openfaas-api.ts). */
		| "basic";
}
