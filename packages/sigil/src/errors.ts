/**
 * Every error a caller or operator can meet has a stable code here, with its HTTP status and
 * the names each ecosystem gives it. `docs/errors.md` lists them all; a test keeps the two in
 * step. The signature library's failures carry their own wire names and are documented there too.
 */
export interface ErrorSpec {
	readonly status: number;
	/** AWS `x-amzn-ErrorType` name for SigV4 callers. */
	readonly aws: string;
	/** Function Compute `ErrorCode` for ACS3/FC callers. */
	readonly fc: string;
	/** One line for docs/errors.md: what it means and how to fix it. */
	readonly doc: string;
}

export const ERRORS = {
	ROUTE_NOT_FOUND: {
		status: 404,
		aws: "ResourceNotFoundException",
		fc: "PathNotFound",
		doc: "No route matches the path. Triggers live at /function/NAME, the API at /sigil/v1/…",
	},
	FUNCTION_NOT_FOUND: {
		status: 404,
		aws: "ResourceNotFoundException",
		fc: "FunctionNotFound",
		doc: "No function of that name is deployed. `sigil list` shows what is.",
	},
	UNKNOWN_OPERATION: {
		status: 404,
		aws: "UnknownOperationException",
		fc: "PathNotFound",
		doc: "A Lambda API path (`/2015-03-31/…`, `/2021-10-31/…`, …) that names no operation this gateway implements; docs/lambda.md lists those it does.",
	},
	PRECONDITION_FAILED: {
		status: 412,
		aws: "PreconditionFailedException",
		fc: "PreconditionFailed",
		doc: "The RevisionId sent with a Lambda update is not the function's current one: it changed meanwhile. Get the function again and retry.",
	},
	METHOD_NOT_ALLOWED: {
		status: 405,
		aws: "MethodNotAllowedException",
		fc: "MethodNotAllowed",
		doc: "The route exists but not for this HTTP method.",
	},
	BAD_REQUEST: {
		status: 400,
		aws: "InvalidRequestContentException",
		fc: "InvalidArgument",
		doc: "The request is malformed; the message names the part.",
	},
	INVALID_CONFIG: {
		status: 400,
		aws: "InvalidParameterValueException",
		fc: "InvalidArgument",
		doc: "A function configuration failed validation; the message lists each key path and what is wrong.",
	},
	GATEWAY_CONFIG_INVALID: {
		status: 400,
		aws: "InvalidParameterValueException",
		fc: "InvalidArgument",
		doc: "The gateway's engine choice (`--store`/`--queue`/`--cache`, `SIGIL_STORE`/`SIGIL_QUEUE`/`SIGIL_CACHE`) is not one it supports: an unknown scheme, query parameter or name; or another start-up setting is invalid or does not apply (`SIGIL_FUNCTION_URL_AUTH`, `SIGIL_CGROUP` with `--isolation process` or `none`). The message names the flag or variable; docs/operations.md lists the forms.",
	},
	HANDLER_LOAD_FAILED: {
		status: 400,
		aws: "InvalidParameterValueException",
		fc: "InvalidArgument",
		doc: "The deployed code did not load: a sandboxed instance imported it at deploy and it threw, did not export the handler or did not finish loading in 10 s. Nothing was deployed; the live revision keeps serving. The message carries the load error.",
	},
	BUNDLE_INVALID: {
		status: 400,
		aws: "InvalidParameterValueException",
		fc: "InvalidArgument",
		doc: "The deployed code bundle is malformed or too large (50 MB).",
	},
	BODY_TOO_LARGE: {
		status: 413,
		aws: "RequestEntityTooLargeException",
		fc: "EntityTooLarge",
		doc: "The request body is over the trigger's limit (default 6 MB; trigger.maxBodyBytes raises it).",
	},
	REQUEST_TIMEOUT: {
		status: 408,
		aws: "RequestTimeoutException",
		fc: "RequestTimeout",
		doc: "The client took too long to send the request.",
	},
	ACCESS_KEY_UNKNOWN: {
		status: 403,
		aws: "UnrecognizedClientException",
		fc: "InvalidAccessKeyID",
		doc: "The access key id in the signature does not exist. Check the profile or SIGIL_ACCESS_KEY_ID.",
	},
	ACCESS_KEY_DISABLED: {
		status: 403,
		aws: "UnrecognizedClientException",
		fc: "InvalidAccessKeyID",
		doc: "The access key exists but is disabled (`sigil key enable ID` turns it back on).",
	},
	SIGNATURE_REQUIRED: {
		status: 401,
		aws: "MissingAuthenticationTokenException",
		fc: "MissingRequiredHeader",
		doc: "This trigger requires a signature and the request carries none of the kind it accepts.",
	},
	ACCESS_DENIED: {
		status: 403,
		aws: "AccessDeniedException",
		fc: "AccessDenied",
		doc: "The caller is authenticated but not allowed to perform the action on this resource.",
	},
	REPLAYED_REQUEST: {
		status: 401,
		aws: "InvalidSignatureException",
		fc: "SignatureNotMatch",
		doc: "A webhook with this id was already accepted inside the tolerance window.",
	},
	SECRET_NOT_FOUND: {
		status: 404,
		aws: "ResourceNotFoundException",
		fc: "SecretNotFound",
		doc: "A function or trigger names a secret that does not exist. `sigil secret create NAME` makes it.",
	},
	KEY_NOT_FOUND: {
		status: 404,
		aws: "NoSuchEntityException",
		fc: "AccessKeyNotFound",
		doc: "No access key with that id in this account.",
	},
	KEY_IN_USE_BY_CALLER: {
		status: 409,
		aws: "InvalidInputException",
		fc: "Conflict",
		doc: "A request may not delete or disable the very key that signed it; use another key.",
	},
	CONFLICT: {
		status: 409,
		aws: "ResourceConflictException",
		fc: "Conflict",
		doc: "The resource already exists or changed meanwhile.",
	},
	FUNCTION_TIMEOUT: {
		status: 504,
		aws: "FunctionTimeout",
		fc: "FunctionTimeout",
		doc: "The function ran past its timeout and was stopped. Raise `timeout` or make it faster.",
	},
	FUNCTION_CRASHED: {
		status: 502,
		aws: "ServiceException",
		fc: "FunctionCrashed",
		doc: "The function's worker or process died (exit, out of memory, signal). A fresh one serves the next request.",
	},
	FUNCTION_ERROR: {
		status: 502,
		aws: "ServiceException",
		fc: "UnhandledInvocationError",
		doc: "The handler threw or returned something that cannot be mapped to HTTP. `sigil logs NAME` shows the error.",
	},
	FUNCTION_QUEUE_FULL: {
		status: 429,
		aws: "TooManyRequestsException",
		fc: "ResourceExhausted",
		doc: "Every instance is busy and the wait queue is full. Retry later or raise concurrency.",
	},
	FUNCTION_RATE_LIMITED: {
		status: 429,
		aws: "TooManyRequestsException",
		fc: "ResourceExhausted",
		doc: "The function's `rateLimit` is spent: `requests` per `per` for the function, or `perKey` for the calling access key, counted across every gateway. The answer's Retry-After says when one more call fits; asynchronous jobs retry by themselves.",
	},
	FUNCTION_CLOSED: {
		status: 503,
		aws: "ServiceException",
		fc: "ServiceUnavailable",
		doc: "The function is being replaced or the gateway is shutting down. Retry.",
	},
	FUNCTION_START_FAILED: {
		status: 502,
		aws: "ServiceException",
		fc: "FunctionNotStarted",
		doc: "The handler module or executable could not be loaded or started; the log says why.",
	},
	ENGINE_UNAVAILABLE: {
		status: 503,
		aws: "ServiceException",
		fc: "ServiceUnavailable",
		doc: "A shared engine this request needs did not answer (Redis for webhook replay ids, rate windows and reserved-concurrency slots; NATS for an asynchronous enqueue; the store itself while PostgreSQL is out or restarting). Nothing was accepted: retry. `/readyz` names the engine that is down.",
	},
	FUNCTION_RESPONSE_TOO_LARGE: {
		status: 502,
		aws: "ServiceException",
		fc: "FunctionResponseTooLarge",
		doc: "The function streamed more than a response may hold (20 MB streamed, 6 MB buffered) and was cut; the caller saw an incomplete answer or an error event. Send less or page it.",
	},
	SHUTTING_DOWN: {
		status: 503,
		aws: "ServiceException",
		fc: "ServiceUnavailable",
		doc: "The gateway is stopping and takes no new requests.",
	},
	INVALID_PARAMETER: {
		status: 400,
		aws: "InvalidParameterValueException",
		fc: "InvalidArgument",
		doc: "A request parameter has a value the API does not accept (e.g. an unknown X-Amz-Invocation-Type); the message names it.",
	},
	INVALID_CALLBACK_URL: {
		status: 400,
		aws: "InvalidParameterValueException",
		fc: "InvalidArgument",
		doc: "X-Callback-Url is not an absolute http(s) URL without user information (at most 2048 characters).",
	},
	EXECUTION_ROLE_INVALID: {
		status: 400,
		aws: "InvalidParameterValueException",
		fc: "InvalidArgument",
		doc: "The function's role (`role:`, `--role`, Lambda's `Role`) cannot be assumed by Lambda: no such role in the function's account, or its trust policy does not allow the service principal lambda.amazonaws.com to `sts:AssumeRole`. Create the role with that trust (docs/iam.md, Execution roles). Another account's role is refused as ACCESS_DENIED (`Cross-account pass role is not allowed.`).",
	},
	EXECUTION_ROLE_UNUSABLE: {
		status: 502,
		aws: "ServiceException",
		fc: "FunctionNotStarted",
		doc: "The function's execution role was deleted, or its trust policy no longer lets lambda.amazonaws.com assume it, since the function was deployed: no invocation runs until the role (or its trust) is back or the function names another role.",
	},
	JOB_NOT_FOUND: {
		status: 404,
		aws: "ResourceNotFoundException",
		fc: "JobNotFound",
		doc: "No asynchronous job with that id in this account. `GET /sigil/v1/jobs` lists them.",
	},
	SESSION_TOKEN_INVALID: {
		status: 403,
		aws: "UnrecognizedClientException",
		fc: "InvalidSecurityToken",
		doc: "The session token was not issued by this gateway's STS, was altered, or belongs to another access key id. Get new credentials (aws sts assume-role / get-session-token).",
	},
	SESSION_TOKEN_EXPIRED: {
		status: 403,
		aws: "ExpiredTokenException",
		fc: "InvalidSecurityToken.Expired",
		doc: "The temporary credentials have expired. Ask STS for new ones.",
	},
	ENTITY_ALREADY_EXISTS: {
		status: 409,
		aws: "EntityAlreadyExists",
		fc: "EntityAlreadyExists",
		doc: "An IAM user, role, access key or policy of that name already exists in the account.",
	},
	NO_SUCH_ENTITY: {
		status: 404,
		aws: "NoSuchEntity",
		fc: "EntityNotExist",
		doc: "The IAM user, role or policy named does not exist in the account.",
	},
	DELETE_CONFLICT: {
		status: 409,
		aws: "DeleteConflict",
		fc: "EntityInUse",
		doc: "The user or role still has access keys or policies attached; remove them first (IAM's order: keys, then policies, then the user).",
	},
	MALFORMED_POLICY: {
		status: 400,
		aws: "MalformedPolicyDocument",
		fc: "InvalidArgument",
		doc: "A policy document failed validation when written; the message names each place (`Statement[0].Action`) and what is wrong.",
	},
	LIMIT_EXCEEDED: {
		status: 409,
		aws: "LimitExceeded",
		fc: "ResourceExhausted",
		doc: "An IAM quota was reached (e.g. two access keys per user).",
	},
	PERMISSION_NOT_FOUND: {
		status: 404,
		aws: "ResourceNotFoundException",
		fc: "PolicyNotFound",
		doc: "The function has no policy, or no statement with that StatementId.",
	},
	SANDBOX_UNAVAILABLE: {
		status: 503,
		aws: "ServiceException",
		fc: "ServiceUnavailable",
		doc: "Functions run in a bubblewrap sandbox and it cannot start on this machine (no bubblewrap, user namespaces off, not Linux); the message says why. Install bubblewrap (`npm run setup`), or choose a weaker isolation explicitly with `sigil up --isolation process` (or `none`).",
	},
	CONSOLE_NOT_BUILT: {
		status: 503,
		aws: "ServiceUnavailableException",
		fc: "ServiceUnavailable",
		doc: "The web console's files are missing (packages/console/dist has no index.html): run `npm run build:console` in the repository (npm install runs it too), then reload /console/.",
	},
	DEBUG_INPUT_INVALID: {
		status: 400,
		aws: "InvalidRequestContentException",
		fc: "InvalidArgument",
		doc: "The signature debugger's body is not what it takes: JSON with exactly one of raw, curl, auditId (at most 64 KiB), optionally clientCanonicalRequest and clientStringToSign (16 KiB each), nothing else. docs/console.md gives the shape.",
	},
	DEBUG_REQUEST_UNPARSABLE: {
		status: 400,
		aws: "InvalidRequestContentException",
		fc: "InvalidArgument",
		doc: "The pasted raw HTTP request or curl command cannot be read (no request line, a header without a colon, an unclosed quote, no URL…); the message says where. Paste the request exactly as sent, headers and body.",
	},
	DEBUG_CURL_UNSUPPORTED: {
		status: 400,
		aws: "InvalidRequestContentException",
		fc: "InvalidArgument",
		doc: "The pasted curl command uses an option the debugger does not understand; it is refused rather than ignored, since it could change what is signed. docs/console.md lists the options understood; paste the raw request instead (curl -v shows it).",
	},
	DEBUG_NO_SIGNATURE: {
		status: 400,
		aws: "InvalidRequestContentException",
		fc: "InvalidArgument",
		doc: "The pasted request carries no signature the debugger checks: no SigV4 Authorization header or X-Amz-Signature, no ACS3 Authorization, and it is not addressed to a payload-HMAC trigger (/function/NAME of one of your functions with auth hmac).",
	},
	DEBUG_SUBJECT_NOT_FOUND: {
		status: 404,
		aws: "ResourceNotFoundException",
		fc: "NotFound",
		doc: "The access key, function or audit record the debugger was asked about is not in your account. The answer is the same whether it exists elsewhere or nowhere.",
	},
	INTERNAL: {
		status: 500,
		aws: "ServiceException",
		fc: "InternalServerError",
		doc: "A bug in Sigil. The request id in the answer finds it in the gateway's log.",
	},
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The one error class of the server side: a stable code plus a message that says how to fix it. */
export class SigilError extends Error {
	readonly code: ErrorCode;
	/** Facts for the owner's log (never secrets). */
	readonly detail: Readonly<Record<string, unknown>> | undefined;
	constructor(
		code: ErrorCode,
		message: string,
		detail?: Record<string, unknown>,
	) {
		super(message);
		this.name = "SigilError";
		this.code = code;
		this.detail = detail;
	}
	get status(): number {
		return ERRORS[this.code].status;
	}
}
