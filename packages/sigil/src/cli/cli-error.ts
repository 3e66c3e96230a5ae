/**
 * The CLI's one error shape. Every failure a user can meet says what happened and how to fix
 * it, on stderr, as
 *
 *     error: <what happened>
 *       fix: <how to fix it>
 *
 * with exit code 1 (2 for usage errors), or `{"error": {"code", "message", "fix"}}` with --json.
 * Messages never hold a secret: they are built from names, ids and server messages only.
 */
export class CliError extends Error {
	/** Stable code: the server's code (`FUNCTION_NOT_FOUND`) or the CLI's own (`USAGE`, `GATEWAY_UNREACHABLE`). */
	readonly code: string;
	readonly fix: string;
	readonly exitCode: 1 | 2;
	/** The gateway's request id, when the error came from it. */
	readonly requestId: string | undefined;
	constructor(
		code: string,
		message: string,
		fix: string,
		options: { exitCode?: 1 | 2; requestId?: string } = {},
	) {
		super(message);
		this.name = "CliError";
		this.code = code;
		this.fix = fix;
		this.exitCode = options.exitCode ?? 1;
		this.requestId = options.requestId;
	}
}

/** A usage error (exit code 2): a bad flag, a missing argument. */
export function usageError(message: string, usage: string): CliError {
	return new CliError(
		"USAGE",
		message,
		`usage: ${usage.startsWith("sigil ") ? usage : `sigil ${usage}`} (add --help for every option)`,
		{ exitCode: 2 },
	);
}

/** Renders an error for stderr in the fixed text or JSON shape (`paint` colours the labels). */
export function formatError(
	error: CliError,
	json: boolean,
	paint: (style: "error" | "fix", text: string) => string = (_s, t) => t,
): string {
	if (json) {
		const body: Record<string, string> = {
			code: error.code,
			message: error.message,
			fix: error.fix,
		};
		if (error.requestId) body.requestId = error.requestId;
		return `${JSON.stringify({ error: body })}\n`;
	}
	const id = error.requestId ? ` (request id ${error.requestId})` : "";
	return `${paint("error", "error:")} ${error.message}${id}\n  ${paint("fix", "fix:")} ${error.fix}\n`;
}

/** Any thrown value as a CliError: unknown exceptions are bugs and say so. */
export function toCliError(error: unknown): CliError {
	if (error instanceof CliError) return error;
	const e = error as { code?: unknown; message?: unknown };
	if (
		e &&
		typeof e.code === "string" &&
		(e.code === "STACK_FILE_INVALID" || e.code === "BUNDLE_INVALID")
	)
		return new CliError(
			e.code,
			String(e.message),
			e.code === "BUNDLE_INVALID"
				? "fix the handler folder as the message says"
				: "fix the stack file at the key paths listed",
		);
	if (e && (e.code === "ENOENT" || e.code === "EACCES"))
		return new CliError(
			`FILE_${e.code}`,
			String(e.message),
			"check the path and its permissions",
		);
	if (e && (e.code === "EADDRINUSE" || e.code === "EADDRNOTAVAIL"))
		return new CliError(
			"PORT_UNAVAILABLE",
			String(e.message),
			"pick another --port (0 takes any free one) or --host, or stop what holds it",
		);
	// The gateway's own errors (a corrupt or foreign data directory, a bad master key, …) carry
	// an upper-case code and a message that already says what to do.
	if (
		e &&
		typeof e.code === "string" &&
		/^[A-Z][A-Z0-9_]+$/.test(e.code) &&
		typeof e.message === "string"
	)
		return new CliError(e.code, e.message, `see docs/errors.md for ${e.code}`);
	return new CliError(
		"INTERNAL",
		`unexpected failure: ${e && typeof e.message === "string" ? e.message : String(error)}`,
		"this is a bug in the sigil CLI; please report it with the command you ran",
	);
}
