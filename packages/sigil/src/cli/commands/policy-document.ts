/**
 * Reads a policy document argument the way the AWS CLI does: inline JSON, or `file://PATH`
 * (also `@PATH`). The gateway validates the policy itself; here only the JSON must parse, so a
 * typo is reported before a request is made.
 */
import { readFile } from "node:fs/promises";
import { CliError } from "../cli-error.ts";

export async function readPolicyDocument(
	value: string,
	flag: string,
): Promise<unknown> {
	const path = value.startsWith("file://")
		? value.slice("file://".length)
		: value.startsWith("@")
			? value.slice(1)
			: undefined;
	let text = value;
	if (path !== undefined) {
		try {
			text = await readFile(path, "utf8");
		} catch (err) {
			throw new CliError(
				"POLICY_FILE_UNREADABLE",
				`cannot read ${path}: ${(err as Error).message}`,
				`check the path given to --${flag}`,
			);
		}
	}
	try {
		return JSON.parse(text) as unknown;
	} catch (err) {
		throw new CliError(
			"POLICY_NOT_JSON",
			`--${flag} is not JSON: ${(err as Error).message}`,
			`pass the policy as JSON text or as file://PATH`,
		);
	}
}
