/**
 * One error type for every API the console calls (control plane JSON, Lambda REST JSON, the
 * IAM/STS query protocol's XML), so pages can tell "not allowed" from everything else.
 */
export class ApiError extends Error {
	readonly status: number;
	readonly code: string;
	readonly requestId: string | null;

	constructor(
		status: number,
		code: string,
		message: string,
		requestId: string | null,
	) {
		super(message);
		this.name = "ApiError";
		this.status = status;
		this.code = code;
		this.requestId = requestId;
	}

	/** The principal's policies refuse this call (AccessDenied in each API's dialect). */
	get notAllowed(): boolean {
		return (
			this.code === "ACCESS_DENIED" ||
			this.code === "AccessDenied" ||
			this.code === "AccessDeniedException"
		);
	}
}

/** Reads an error answer of any of the gateway's dialects. */
export function errorFromResponse(
	status: number,
	headers: Headers,
	text: string,
): ApiError {
	const requestId =
		headers.get("x-sigil-request-id") ??
		headers.get("x-amzn-requestid") ??
		null;
	const trimmed = text.trim();
	if (trimmed.startsWith("{")) {
		try {
			const body = JSON.parse(trimmed) as Record<string, unknown>;
			const err = body.error as Record<string, unknown> | undefined;
			if (err && typeof err.code === "string")
				return new ApiError(
					status,
					err.code,
					String(err.message ?? ""),
					requestId,
				);
			const type =
				headers.get("x-amzn-errortype")?.split(":")[0] ??
				(typeof body.Type === "string" ? body.Type : undefined) ??
				(typeof body.__type === "string" ? body.__type : undefined);
			const message = body.message ?? body.Message ?? "";
			return new ApiError(
				status,
				type ?? `HTTP_${status}`,
				String(message),
				requestId,
			);
		} catch {
			// not JSON after all: fall through to the text forms
		}
	}
	if (trimmed.startsWith("<")) {
		const code = /<Code>([^<]{1,128})<\/Code>/.exec(trimmed)?.[1];
		const message = /<Message>([^<]{0,4000})<\/Message>/.exec(trimmed)?.[1];
		if (code)
			return new ApiError(
				status,
				code,
				decodeXmlText(message ?? ""),
				requestId,
			);
	}
	return new ApiError(
		status,
		headers.get("x-amzn-errortype")?.split(":")[0] ?? `HTTP_${status}`,
		trimmed.slice(0, 500) || `HTTP ${status}`,
		requestId,
	);
}

function decodeXmlText(s: string): string {
	return s
		.replace(/&lt;/g, "<")
		.replace(/&gt;/g, ">")
		.replace(/&quot;/g, '"')
		.replace(/&apos;/g, "'")
		.replace(/&amp;/g, "&");
}
