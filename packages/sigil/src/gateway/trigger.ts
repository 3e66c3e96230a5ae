/**
 * Invoking a function through its HTTP trigger (`/function/NAME/…`), after the pipeline has
 * authenticated and authorized the caller. The function sees the request as sent, plus the
 * verified caller; hop-by-hop headers of its answer are dropped.
 */
import type { CallerIdentity } from "../runtime/types.ts";
import { responseHeaders } from "./cors.ts";
import type { Exchange, Principal } from "./exchange.ts";
import { send, sendStream } from "./respond.ts";
import type { Call, TriggerTarget } from "./route.ts";

const HOP_BY_HOP = new Set([
	"connection",
	"keep-alive",
	"transfer-encoding",
	"content-length",
	"upgrade",
	"proxy-connection",
	"te",
	"trailer",
]);

export function callerOf(p: Principal | undefined): CallerIdentity | undefined {
	if (!p || p.scheme === "none") return undefined;
	return {
		accessKey: p.accessKeyId,
		accountId: p.accountId,
		callerId: p.userId,
		userArn: p.arn,
		userId: p.userId,
		scheme: p.scheme,
	};
}

/** Aborts when the client goes away before the answer is written. */
export function clientGone(ex: Exchange): AbortSignal {
	const controller = new AbortController();
	ex.res.once("close", () => {
		if (!ex.res.writableFinished) controller.abort();
	});
	return controller.signal;
}

export async function invokeTrigger({
	ex,
	principal,
	target,
}: Call<TriggerTarget>): Promise<void> {
	const { fn } = target;
	const caller = callerOf(principal);
	const result = await fn.runtime.invokeHttp({
		requestId: ex.id,
		functionName: fn.name,
		method: ex.method,
		path: target.path,
		rawQuery: ex.rawQuery,
		rawHeaders: ex.req.rawHeaders,
		body: ex.body,
		sourceIp: ex.sourceIp,
		host: ex.header("host") ?? "",
		receivedAt: ex.receivedAt,
		...(caller && { caller }),
		signal: clientGone(ex),
		acceptStream: true,
		invokeMode: fn.config.trigger.invokeMode,
	});
	const headers: Record<string, string | string[]> = {};
	for (let i = 0; i + 1 < result.headers.length; i += 2) {
		const name = (result.headers[i] as string).toLowerCase();
		if (HOP_BY_HOP.has(name) || name.startsWith("x-sigil-")) continue;
		const value = result.headers[i + 1] as string;
		const prior = headers[name];
		headers[name] =
			prior === undefined
				? value
				: Array.isArray(prior)
					? [...prior, value]
					: [prior, value];
	}
	Object.assign(
		headers,
		responseHeaders(fn.config.trigger.cors, ex.header("origin")),
	);
	if (result.stream) sendStream(ex, result.status, result.stream, headers);
	else send(ex, result.status, result.body, headers);
}
