// Generates docs/errors.md from the code registries, so the documented list cannot drift from
// the code: `node scripts/errors-doc.ts > docs/errors.md`. A test compares the two.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
	FC_FAILURES,
	SHARED_SECRET_FAILURES,
	SIGV4_FAILURES,
} from "@sigil/signature";
import { CLI_ERRORS } from "../packages/sigil/src/cli/cli-codes.ts";
import { ERRORS } from "../packages/sigil/src/errors.ts";

const root = join(import.meta.dirname, "..");
const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** Store codes are a documented union type: read the names and their doc comments from source. */
export function storeCodes(): { code: string; doc: string }[] {
	const source = readFileSync(
		join(root, "packages/sigil/src/store/errors.ts"),
		"utf8",
	);
	const union = source.slice(
		source.indexOf("export type StoreErrorCode"),
		source.indexOf(";", source.indexOf("export type StoreErrorCode")),
	);
	return [
		...union.matchAll(/\/\*\*\s*([\s\S]*?)\s*\*\/\s*\|\s*"([A-Z_]+)"/g),
	].map((m) => ({
		code: m[2] as string,
		doc: (m[1] as string).replace(/\s*\*\s*/g, " ").trim(),
	}));
}

export function renderErrorsDoc(): string {
	const out: string[] = [
		"# Error codes",
		"",
		"Every error Sigil answers with has a stable code. This page is generated from the code",
		"registries by `node scripts/errors-doc.ts > docs/errors.md`; a test fails when it is out of date.",
		"",
		"## Gateway and API (`packages/sigil/src/errors.ts`)",
		"",
		"Sent as `error.code` in Sigil's JSON; SigV4 callers get the AWS name in `x-amzn-ErrorType`, ACS3 callers the FC name in `ErrorCode`.",
		"",
		"| code | HTTP | AWS name | FC name | meaning and fix |",
		"|---|---|---|---|---|",
		...Object.entries(ERRORS).map(
			([code, e]) =>
				`| \`${code}\` | ${e.status} | ${e.aws} | ${e.fc} | ${cell(e.doc)} |`,
		),
		"",
		"## SigV4 failures (`@sigil/signature`, `SIGV4_FAILURES`)",
		"",
		"| code | HTTP | AWS name | message (… is filled in) |",
		"|---|---|---|---|",
		...Object.entries(SIGV4_FAILURES).map(
			([code, f]) =>
				`| \`${code}\` | ${f.status} | ${f.wireCode} | ${cell(f.message)} |`,
		),
		"",
		"## ACS3 and FC legacy failures (`@sigil/signature`, `FC_FAILURES`)",
		"",
		"| code | HTTP | FC name | message (%s is filled in) |",
		"|---|---|---|---|",
		...Object.entries(FC_FAILURES).map(
			([code, f]) =>
				`| \`${code}\` | ${f.status} | ${f.wireCode} | ${cell(f.message)} |`,
		),
		"",
		"## Payload HMAC and Standard Webhooks failures (`@sigil/signature`, `SHARED_SECRET_FAILURES`)",
		"",
		"All answer 401.",
		"",
		"| code | message (%s is the header or detail) |",
		"|---|---|",
		...Object.entries(SHARED_SECRET_FAILURES).map(
			([code, m]) => `| \`${code}\` | ${cell(m)} |`,
		),
		"",
		"## Policies (`@sigil/policy`)",
		"",
		"Validation errors (with the key path in the document) and decision reasons are listed in [packages/policy/README.md](../packages/policy/README.md); a test keeps that list complete.",
		"",
		"## The `sigil` CLI's own (`packages/sigil/src/cli/cli-codes.ts`)",
		"",
		'Printed as `error: … / fix: …` on stderr (or `{"error": {"code", "message", "fix"}}` with --json); a gateway error reaches the CLI with the gateway\'s code above.',
		"",
		"| code | exit | meaning and fix |",
		"|---|---|---|",
		...Object.entries(CLI_ERRORS).map(
			([code, e]) => `| \`${code}\` | ${e.exit} | ${cell(e.doc)} |`,
		),
		"",
		"## Store (`packages/sigil/src/store/errors.ts`)",
		"",
		"Operators meet these at start-up or in the gateway's log; API callers get them mapped to the gateway codes above.",
		"",
		"| code | meaning |",
		"|---|---|",
		...storeCodes().map(({ code, doc }) => `| \`${code}\` | ${cell(doc)} |`),
		"",
	];
	return out.join("\n");
}

if (import.meta.main) process.stdout.write(renderErrorsDoc());
