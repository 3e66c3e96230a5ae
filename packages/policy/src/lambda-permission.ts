/**
 * Function policies as Lambda's AddPermission / RemovePermission build them (Lambda API
 * Reference, "AddPermission"; Lambda Developer Guide, "Control access to function URLs"): the
 * statement AWS writes for a principal, source ARN/account, organization and function-URL auth
 * type, added to or removed from the function's policy document by statement id. Pure JSON in,
 * JSON out; the caller stores the document and compiles it with `parsePolicy(…, "resource")`.
 */

/** The AddPermission parameters that shape the statement. */
export interface LambdaPermissionInput {
	readonly statementId: string;
	/** e.g. `lambda:InvokeFunction`, `lambda:InvokeFunctionUrl`. */
	readonly action: string;
	/** `*`, a 12-digit account id, an IAM/STS ARN, or a service (`s3.amazonaws.com`). */
	readonly principal: string;
	/** The function's unqualified ARN. */
	readonly functionArn: string;
	readonly qualifier?: string;
	readonly sourceArn?: string;
	readonly sourceAccount?: string;
	readonly principalOrgId?: string;
	readonly functionUrlAuthType?: "AWS_IAM" | "NONE";
	readonly eventSourceToken?: string;
}

export type PolicyDocument = {
	Version: string;
	Id?: string;
	Statement: Record<string, unknown>[];
};

export type PermissionResult =
	| { readonly ok: true; readonly document: PolicyDocument }
	| {
			readonly ok: false;
			readonly code: "DUPLICATE_STATEMENT_ID" | "STATEMENT_NOT_FOUND";
			readonly message: string;
	  };

function principalElement(principal: string): unknown {
	if (principal === "*") return "*";
	if (/^\d{12}$/.test(principal))
		return { AWS: `arn:aws:iam::${principal}:root` };
	if (principal.startsWith("arn:")) return { AWS: principal };
	return { Service: principal };
}

/** The statement AddPermission writes for `input`. */
export function lambdaPermissionStatement(
	input: LambdaPermissionInput,
): Record<string, unknown> {
	const stringEquals: Record<string, string> = {};
	if (input.sourceAccount !== undefined)
		stringEquals["AWS:SourceAccount"] = input.sourceAccount;
	if (input.principalOrgId !== undefined)
		stringEquals["aws:PrincipalOrgID"] = input.principalOrgId;
	if (input.functionUrlAuthType !== undefined)
		stringEquals["lambda:FunctionUrlAuthType"] = input.functionUrlAuthType;
	if (input.eventSourceToken !== undefined)
		stringEquals["lambda:EventSourceToken"] = input.eventSourceToken;
	const condition: Record<string, Record<string, string>> = {};
	if (Object.keys(stringEquals).length > 0)
		condition.StringEquals = stringEquals;
	if (input.sourceArn !== undefined)
		condition.ArnLike = { "AWS:SourceArn": input.sourceArn };
	return {
		Sid: input.statementId,
		Effect: "Allow",
		Principal: principalElement(input.principal),
		Action: input.action,
		Resource:
			input.qualifier === undefined
				? input.functionArn
				: `${input.functionArn}:${input.qualifier}`,
		...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
	};
}

/** Adds a statement; a statement id already present is AWS's 409 ResourceConflictException. */
export function addPermission(
	document: PolicyDocument | undefined,
	input: LambdaPermissionInput,
): PermissionResult {
	const base: PolicyDocument = document ?? {
		Version: "2012-10-17",
		Id: "default",
		Statement: [],
	};
	if (base.Statement.some((s) => s.Sid === input.statementId)) {
		return {
			ok: false,
			code: "DUPLICATE_STATEMENT_ID",
			message: `The statement id (${input.statementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
		};
	}
	return {
		ok: true,
		document: {
			...base,
			Statement: [...base.Statement, lambdaPermissionStatement(input)],
		},
	};
}

/** Removes the statement with `statementId`; absent is AWS's 404 ResourceNotFoundException. */
export function removePermission(
	document: PolicyDocument | undefined,
	statementId: string,
): PermissionResult {
	if (
		document === undefined ||
		!document.Statement.some((s) => s.Sid === statementId)
	) {
		return {
			ok: false,
			code: "STATEMENT_NOT_FOUND",
			message: "The resource you requested does not exist.",
		};
	}
	return {
		ok: true,
		document: {
			...document,
			Statement: document.Statement.filter((s) => s.Sid !== statementId),
		},
	};
}
