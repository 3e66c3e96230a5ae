/**
 * Parses a Lambda-style handler setting into the module file and the export to call. Pure.
 *
 * - `index.handler` → module `index` (`.mjs`, `.js`, `.ts` or `.mts`, first found), export `handler`
 * - `src/app.main` → module `src/app`, export `main`
 * - `handler.js` → that very file, export `handler`
 */
export type HandlerRef =
	| {
			readonly ok: true;
			readonly candidates: readonly string[];
			readonly exportName: string;
	  }
	| {
			readonly ok: false;
			readonly code: "INVALID_HANDLER";
			readonly detail: string;
	  };

/** Extensions tried, in order, for a module named without one. */
export const HANDLER_EXTENSIONS = [
	".mjs",
	".js",
	".ts",
	".mts",
	".cjs",
] as const;

export function parseHandlerRef(handler: string): HandlerRef {
	const fail = (detail: string): HandlerRef => ({
		ok: false,
		code: "INVALID_HANDLER",
		detail,
	});
	if (handler === "")
		return fail("the handler setting is empty (expected e.g. index.handler)");
	if (
		handler.startsWith("/") ||
		handler.includes("\\") ||
		handler.split("/").includes("..")
	) {
		return fail(
			`handler ${JSON.stringify(handler)} must be a relative path inside the code folder`,
		);
	}
	if (HANDLER_EXTENSIONS.some((ext) => handler.endsWith(ext))) {
		return { ok: true, candidates: [handler], exportName: "handler" };
	}
	const dot = handler.lastIndexOf(".");
	const slash = handler.lastIndexOf("/");
	if (dot <= slash + 1 || dot === handler.length - 1) {
		return fail(
			`handler ${JSON.stringify(handler)} must look like FILE.EXPORT (e.g. index.handler)`,
		);
	}
	const base = handler.slice(0, dot);
	return {
		ok: true,
		candidates: HANDLER_EXTENSIONS.map((ext) => base + ext),
		exportName: handler.slice(dot + 1),
	};
}
