/**
 * Which permissions a call to a function URL needs — a gateway setting, because AWS changed it
 * (Lambda Developer Guide, "Control access to Lambda function URLs": "Starting in October 2025,
 * new function URLs will require both lambda:InvokeFunctionUrl and lambda:InvokeFunction").
 *
 * - `url-only` (default): `lambda:InvokeFunctionUrl` alone, the model the seeds (and every
 *   function URL made before October 2025) describe;
 * - `url-and-invoke`: both `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction`, each decided
 *   on its own with the same context (`lambda:FunctionUrlAuthType`, and
 *   `lambda:InvokedViaFunctionUrl` true, so an InvokeFunction grant can be limited to URL calls).
 *
 * Set once per gateway: `sigil up --function-url-auth`, `SIGIL_FUNCTION_URL_AUTH`, or the
 * `functionUrlAuth` option; anything else stops the start (GATEWAY_CONFIG_INVALID).
 */
import { SigilError } from "../errors.ts";

export const FUNCTION_URL_AUTH_MODELS = ["url-only", "url-and-invoke"] as const;
export type FunctionUrlAuthModel = (typeof FUNCTION_URL_AUTH_MODELS)[number];
export const DEFAULT_FUNCTION_URL_AUTH: FunctionUrlAuthModel = "url-only";

/** The actions one function URL call must be allowed, in the order they are decided. */
export function functionUrlActions(
	model: FunctionUrlAuthModel,
): readonly string[] {
	return model === "url-and-invoke"
		? ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"]
		: ["lambda:InvokeFunctionUrl"];
}

/** The model `value` names; `where` (the flag or variable) is named when it names none. */
export function parseFunctionUrlAuth(
	value: string | undefined,
	where: string,
): FunctionUrlAuthModel {
	if (value === undefined || value === "") return DEFAULT_FUNCTION_URL_AUTH;
	if ((FUNCTION_URL_AUTH_MODELS as readonly string[]).includes(value))
		return value as FunctionUrlAuthModel;
	throw new SigilError(
		"GATEWAY_CONFIG_INVALID",
		`${where}: must be ${FUNCTION_URL_AUTH_MODELS.join(" or ")} (which permissions a function URL call needs), got ${JSON.stringify(value.slice(0, 64))}`,
	);
}
