/**
 * The statement AWS's console adds to a function whose URL has `AuthType: NONE` (Lambda
 * Developer Guide, "Control access to Lambda function URLs" → "Using the NONE auth type"):
 * everyone may call `lambda:InvokeFunctionUrl`, but only through a NONE-auth URL. Sigil adds it
 * when an `auth: none` function's policy was never written, so it shows in get-policy and can
 * be narrowed or removed like any statement.
 */
import type { FunctionUrlAuthModel } from "./function-url-auth.ts";

export const PUBLIC_SID = "FunctionURLAllowPublicAccess";
/** The second statement AWS's console adds since October 2025 (both actions required). */
export const PUBLIC_INVOKE_SID = "FunctionURLAllowInvokeAction";

/** The public-invoke statement for `functionArn`. */
export function publicInvokeStatement(
	functionArn: string,
): Record<string, unknown> {
	return {
		Sid: PUBLIC_SID,
		Effect: "Allow",
		Principal: "*",
		Action: "lambda:InvokeFunctionUrl",
		Resource: functionArn,
		Condition: {
			StringEquals: { "lambda:FunctionUrlAuthType": "NONE" },
		},
	};
}

/**
 * The public statements of a NONE-auth function under the gateway's function URL model: with
 * `url-and-invoke` also `lambda:InvokeFunction`, granted only to calls through the URL
 * (`lambda:InvokedViaFunctionUrl`), so the Invoke API stays closed to the public.
 */
export function publicStatements(
	functionArn: string,
	model: FunctionUrlAuthModel,
): Record<string, unknown>[] {
	const url = publicInvokeStatement(functionArn);
	if (model === "url-only") return [url];
	return [
		url,
		{
			Sid: PUBLIC_INVOKE_SID,
			Effect: "Allow",
			Principal: "*",
			Action: "lambda:InvokeFunction",
			Resource: functionArn,
			Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
		},
	];
}

/** A policy document holding `statements` (AWS writes `Id: "default"` for function policies). */
export function policyDocument(statements: readonly unknown[]): string {
	return JSON.stringify({
		Version: "2012-10-17",
		Id: "default",
		Statement: statements,
	});
}

/** The statements of a stored function policy (always a list; empty for none). */
export function statementsOf(document: string | null | undefined): unknown[] {
	if (!document) return [];
	const parsed = JSON.parse(document) as { Statement?: unknown };
	const s = parsed.Statement;
	return Array.isArray(s) ? [...s] : s === undefined ? [] : [s];
}
