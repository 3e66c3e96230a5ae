/**
 * The codes only the `sigil` CLI raises (before or instead of asking the gateway), with what each
 * means and how to fix it. docs/errors.md is generated from this list and the gateway's
 * registries; a test finds every code the CLI's sources raise and requires it here or there.
 */
export const CLI_ERRORS = {
	USAGE: {
		exit: 2,
		doc: "A bad flag, a missing or extra argument; the fix line prints the command's usage (add --help for every option).",
	},
	CONFIG_INVALID: {
		exit: 1,
		doc: "The function configuration the flags describe does not validate; each key path and what is wrong is listed.",
	},
	STACK_FILE_NOT_FOUND: {
		exit: 1,
		doc: "`sigil deploy` found no stack file (sigil.yml) where -f or the current folder says.",
	},
	STACK_FILE_INVALID: {
		exit: 1,
		doc: "The stack file does not validate; each key path and what is wrong is listed (docs/stack-file.md).",
	},
	FUNCTION_NOT_IN_STACK: {
		exit: 1,
		doc: "`sigil deploy NAME` names a function the stack file does not declare; the fix lists those it does.",
	},
	HANDLER_REQUIRED: {
		exit: 2,
		doc: "A deploy with a code runtime but no --handler / `handler:`: it would replace the code with nothing. Nothing was deployed.",
	},
	HANDLER_NOT_FOUND: {
		exit: 1,
		doc: "The --handler file or folder does not exist.",
	},
	BUNDLE_EMPTY: {
		exit: 1,
		doc: "The handler folder has no files, or only empty ones. Nothing was deployed.",
	},
	ENTRY_NOT_FOUND: {
		exit: 2,
		doc: "The bundle holds none of the files the entry (--entry / `handler:`) can name. Nothing was deployed.",
	},
	HANDLER_SYNTAX: {
		exit: 1,
		doc: "The entry file does not parse (Node's or Python's parser, run before upload, with its words and the line). Nothing was deployed.",
	},
	FUNCTION_EXISTS: {
		exit: 1,
		doc: "`sigil new NAME`: the stack file already declares that function.",
	},
	FOLDER_EXISTS: {
		exit: 1,
		doc: "`sigil new NAME`: the folder exists and is not empty.",
	},
	KEY_UNUSED: {
		exit: 2,
		doc: "`sigil invoke --key` for a function whose trigger uses no shared key (SigV4, ACS3 or none).",
	},
	TRIGGER_UNKNOWN: {
		exit: 2,
		doc: "`sigil invoke --key` could not learn which scheme the trigger takes; pass --sign HEADER or --sign webhook.",
	},
	SECRET_EMPTY: {
		exit: 1,
		doc: "`sigil secret create` read an empty value (stdin, --from-literal or --from-file).",
	},
	SECRET_IN_USE: {
		exit: 1,
		doc: "`sigil secret remove` of a secret that deployed functions use; the message names them.",
	},
	SECRET_ON_TERMINAL: {
		exit: 1,
		doc: '`sigil env` would print a secret access key to a terminal; run it as eval "$(sigil env)" or pass --show.',
	},
	POLICY_FILE_UNREADABLE: {
		exit: 1,
		doc: "A policy given as file://PATH cannot be read.",
	},
	POLICY_NOT_JSON: {
		exit: 1,
		doc: "A policy document given on the command line is not JSON.",
	},
	CREDENTIALS_MISSING: {
		exit: 1,
		doc: "No access key: neither the profile nor SIGIL_ACCESS_KEY_ID / AWS_ACCESS_KEY_ID has one.",
	},
	CREDENTIALS_INCOMPLETE: {
		exit: 1,
		doc: "Only one of the access key id and secret variables is set (SIGIL_* or AWS_*).",
	},
	CREDENTIALS_FILE_UNREADABLE: {
		exit: 1,
		doc: "AWS_SHARED_CREDENTIALS_FILE names a file that cannot be read.",
	},
	PROFILE_NOT_FOUND: {
		exit: 1,
		doc: "--profile / SIGIL_PROFILE / AWS_PROFILE names a profile in neither Sigil's nor AWS's files; the fix lists those that exist.",
	},
	GATEWAY_INVALID: {
		exit: 1,
		doc: "--gateway / SIGIL_URL is not an http(s) URL.",
	},
	GATEWAY_UNREACHABLE: {
		exit: 1,
		doc: "The CLI cannot connect to the gateway; start it with `sigil up` or point --gateway / SIGIL_URL at it.",
	},
	BAD_ANSWER: {
		exit: 1,
		doc: "The gateway's answer is not JSON: --gateway probably points at something that is not a Sigil gateway.",
	},
	PORT_UNAVAILABLE: {
		exit: 1,
		doc: "`sigil up`: the port is taken or not allowed; pick another --port (0 takes any free one).",
	},
	ABORTED: {
		exit: 1,
		doc: "`sigil configure` was interrupted; nothing was written.",
	},
	FILE_ENOENT: {
		exit: 1,
		doc: "A file the command reads does not exist.",
	},
	FILE_EACCES: {
		exit: 1,
		doc: "A file the command reads is not readable by the user running sigil.",
	},
	INTERNAL: {
		exit: 1,
		doc: "An unexpected failure in the CLI itself: a bug; report it with the command you ran.",
	},
} as const satisfies Record<string, { exit: 1 | 2; doc: string }>;

export type CliErrorCode = keyof typeof CLI_ERRORS;
