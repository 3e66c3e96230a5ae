/**
 * What is deployed now, for `deploy` (is this code already live?) and `invoke` (how does this
 * trigger want to be signed?). Read through the list route rather than GET /functions/NAME:
 * the gateway records a function's own requests under its name, and `sigil logs NAME` should
 * show the function's invocations, not the CLI's look-ups before each one. A key allowed to
 * read one function but not to list falls back to that function's own route.
 */
import { CliError } from "./cli-error.ts";
import type { ControlPlaneClient } from "./control-plane-client.ts";
import { fixFor } from "./control-plane-client.ts";

export type LiveFunction = Record<string, unknown>;

const DENIED = new Set([
	"ACCESS_DENIED",
	"AccessDeniedException",
	"AccessDenied",
]);

export class LiveFunctions {
	readonly #client: ControlPlaneClient;
	#all: Promise<Map<string, LiveFunction> | undefined> | undefined;
	constructor(client: ControlPlaneClient) {
		this.#client = client;
	}

	/** Every function of the account by name; undefined when the key may not list them. */
	#list(): Promise<Map<string, LiveFunction> | undefined> {
		this.#all ??= this.#client.listFunctions().then(
			({ functions }) =>
				new Map(functions.map((f) => [String(f.name), f] as const)),
			(error: unknown) => {
				if (error instanceof CliError && DENIED.has(error.code))
					return undefined;
				throw error;
			},
		);
		return this.#all;
	}

	/** The live function, or undefined when none has that name. Errors other than "none" throw. */
	async get(name: string): Promise<LiveFunction | undefined> {
		const all = await this.#list();
		if (all) return all.get(name);
		try {
			return (await this.#client.getFunction(name)).function;
		} catch (error) {
			if (error instanceof CliError && error.code === "FUNCTION_NOT_FOUND")
				return undefined;
			throw error;
		}
	}
}

/** The error for a function that is not deployed, in the gateway's words. */
export function notDeployed(name: string, gateway: string): CliError {
	return new CliError(
		"FUNCTION_NOT_FOUND",
		`function '${name}' does not exist on ${gateway}`,
		fixFor("FUNCTION_NOT_FOUND"),
	);
}
