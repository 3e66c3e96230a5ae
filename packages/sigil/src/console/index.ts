/**
 * The gateway side of the web console (issue 13, docs/console.md): its public files, the
 * signature debugger, and the auth log's filters. The route table (gateway/routes.ts) declares
 * the routes; this is everything the rest of the gateway uses of the folder.
 */

export {
	type LogFilters,
	matchesLogFilters,
	readLogFilters,
} from "./log-filters.ts";
export { CONSOLE_HEADERS } from "./security-headers.ts";
export {
	type ConsolePathTarget,
	consolePath,
	redirectToConsole,
	serveConsole,
} from "./serve.ts";
export {
	debugSubject,
	MAX_DEBUG_BODY_BYTES,
	signatureDebug,
} from "./signature-debug.ts";
export { ConsoleAssets, DEFAULT_CONSOLE_DIR } from "./static-assets.ts";
