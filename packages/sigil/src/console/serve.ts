/**
 * The console's public routes: `GET /` → `/console/`, and `/console/*` → its files
 * (static-assets.ts decides which). Only GET and HEAD; the security headers come from the
 * route table (`responseHeaders`), so errors carry them too.
 */
import { SigilError } from "../errors.ts";
import { send } from "../gateway/respond.ts";
import type { Call } from "../gateway/route.ts";
import type { Resolver, Target } from "../gateway/targets.ts";
import { BUILD_COMMAND, ConsoleAssets, matchesEtag } from "./static-assets.ts";

/** A console path: public, no account, nothing to authorize. */
export interface ConsolePathTarget extends Target {
	readonly kind: "console-path";
	/** What follows `/console` in the routed path, still percent-encoded. */
	readonly rest: string;
}

export const consolePath: Resolver<ConsolePathTarget> = async ({ params }) => ({
	kind: "console-path",
	accountId: "",
	resource: "*",
	rest: params.rest ?? "",
});

/** `GET /` without a query string: a browser opening the gateway's address. */
export async function redirectToConsole({ ex }: Call<Target>): Promise<void> {
	send(ex, 302, Buffer.alloc(0), { location: "/console/" });
}

export async function serveConsole({
	ex,
	ctx,
	target,
}: Call<ConsolePathTarget>): Promise<void> {
	if (ex.method !== "GET" && ex.method !== "HEAD") {
		ex.res.setHeader("allow", "GET, HEAD");
		throw new SigilError(
			"METHOD_NOT_ALLOWED",
			`${ex.method} is not allowed on the console's files: only GET and HEAD`,
		);
	}
	const assets = ctx.consoleAssets ?? new ConsoleAssets();
	const answer = await assets.lookup(ex.rawPath, target.rest);
	switch (answer.kind) {
		case "redirect":
			send(ex, 302, Buffer.alloc(0), { location: answer.location });
			return;
		case "not-found":
			throw new SigilError(
				"ROUTE_NOT_FOUND",
				`no console file here: ${answer.why}`,
			);
		case "not-built":
			throw new SigilError(
				"CONSOLE_NOT_BUILT",
				`the console is not built (packages/console/dist has no index.html): run \`${BUILD_COMMAND}\` in the repository, then reload`,
			);
		case "file": {
			const headers = {
				"content-type": answer.contentType,
				"cache-control": answer.cacheControl,
				etag: answer.etag,
			};
			if (matchesEtag(ex.header("if-none-match"), answer.etag)) {
				send(ex, 304, Buffer.alloc(0), headers);
				return;
			}
			send(ex, 200, answer.body, headers);
		}
	}
}
