/**
 * Lambda's function-policy API as the AWS CLI calls it (Lambda API Reference, AddPermission,
 * GetPolicy, RemovePermission; service `lambda`). Statements are built exactly as Lambda builds
 * them: `Principal` an account id → `{"AWS": "arn:aws:iam::ID:root"}`, an ARN → `{"AWS": ARN}`,
 * a service → `{"Service": …}`, `*` → `"*"`; `SourceArn` → `ArnLike AWS:SourceArn`,
 * `SourceAccount` → `StringEquals AWS:SourceAccount`, `PrincipalOrgID` → `StringEquals
 * aws:PrincipalOrgID`, `FunctionUrlAuthType` → `StringEquals lambda:FunctionUrlAuthType`.
 * The pipeline has authorized the caller (`lambda:AddPermission` … on the function's ARN).
 * With `Qualifier`, the version's or alias's own policy is the one read and written (its
 * statements name `function:NAME:QUALIFIER`), as Lambda keeps one per qualifier.
 */
import { parsePolicy } from "@sigil/policy";
import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import { policyDocument, statementsOf } from "../iam/public-invoke.ts";
import { isStoreError } from "../store/errors.ts";
import { policyTarget } from "./authorize.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { resolveQualifier } from "./lambda-qualifiers.ts";
import { send, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import type { FunctionTarget, StatementTarget } from "./targets.ts";

const SID = /^[a-zA-Z0-9-_.]{1,100}$/;
/** AddPermission's request fields (Lambda API Reference); any other is refused, not ignored. */
const ADD_PERMISSION_FIELDS = new Set([
	"StatementId",
	"Action",
	"Principal",
	"SourceArn",
	"SourceAccount",
	"EventSourceToken",
	"PrincipalOrgID",
	"FunctionUrlAuthType",
	"InvokedViaFunctionUrl",
	"RevisionId",
]);
const ACTION = /^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/;

function jsonObject(ex: Exchange): Record<string, unknown> {
	try {
		const v = JSON.parse(ex.body.toString("utf8") || "{}") as unknown;
		if (v && typeof v === "object" && !Array.isArray(v))
			return v as Record<string, unknown>;
	} catch {
		// Answered below.
	}
	throw new SigilError("BAD_REQUEST", "the request body must be a JSON object");
}

function field(
	body: Record<string, unknown>,
	name: string,
): string | undefined {
	const v = body[name];
	if (v === undefined || v === null) return undefined;
	if (typeof v !== "string")
		throw new SigilError("INVALID_PARAMETER", `${name} must be a string`);
	return v;
}

function principalElement(principal: string): unknown {
	if (principal === "*") return "*";
	if (/^\d{12}$/.test(principal))
		return { AWS: `arn:aws:iam::${principal}:root` };
	if (principal.startsWith("arn:")) return { AWS: principal };
	if (/^[a-z0-9.-]+\.[a-z]{2,}$/.test(principal)) return { Service: principal };
	throw new SigilError(
		"INVALID_PARAMETER",
		"The provided principal was not valid. Use an account id, an IAM ARN, a service principal or *.",
	);
}

/** The statement Lambda's AddPermission builds from the request (exported for tests). */
export function buildStatement(
	body: Record<string, unknown>,
	functionArn: string,
): Record<string, unknown> {
	const sid = field(body, "StatementId");
	const action = field(body, "Action");
	const principal = field(body, "Principal");
	if (!sid || !SID.test(sid))
		throw new SigilError(
			"INVALID_PARAMETER",
			"1 validation error detected: Value at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)",
		);
	if (!action || !ACTION.test(action))
		throw new SigilError(
			"INVALID_PARAMETER",
			"1 validation error detected: Value at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
		);
	if (!principal)
		throw new SigilError("INVALID_PARAMETER", "Principal is required");
	const equals: Record<string, string> = {};
	const sourceAccount = field(body, "SourceAccount");
	const orgId = field(body, "PrincipalOrgID");
	const authType = field(body, "FunctionUrlAuthType");
	const sourceArn = field(body, "SourceArn");
	const token = field(body, "EventSourceToken");
	if (sourceAccount !== undefined) equals["AWS:SourceAccount"] = sourceAccount;
	if (orgId !== undefined) equals["aws:PrincipalOrgID"] = orgId;
	if (token !== undefined) equals["lambda:EventSourceToken"] = token;
	if (authType !== undefined) {
		if (authType !== "AWS_IAM" && authType !== "NONE")
			throw new SigilError(
				"INVALID_PARAMETER",
				`1 validation error detected: Value '${authType.slice(0, 20)}' at 'functionUrlAuthType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]`,
			);
		equals["lambda:FunctionUrlAuthType"] = authType;
	}
	const condition: Record<string, unknown> = {};
	if (Object.keys(equals).length > 0) condition.StringEquals = equals;
	// For the function URL model that needs lambda:InvokeFunction too (October 2025): a grant
	// of InvokeFunction for calls through the URL only (iam/function-url-auth.ts).
	const viaUrl = body.InvokedViaFunctionUrl;
	if (viaUrl !== undefined && viaUrl !== null && typeof viaUrl !== "boolean")
		throw new SigilError(
			"INVALID_PARAMETER",
			"InvokedViaFunctionUrl must be true or false",
		);
	if (viaUrl === true) {
		if (action !== "lambda:InvokeFunction")
			throw new SigilError(
				"INVALID_PARAMETER",
				`InvokedViaFunctionUrl is only valid with the action lambda:InvokeFunction, not ${action}`,
			);
		condition.Bool = { "lambda:InvokedViaFunctionUrl": "true" };
	}
	if (sourceArn !== undefined)
		condition.ArnLike = { "AWS:SourceArn": sourceArn };
	return {
		Sid: sid,
		Effect: "Allow",
		Principal: principalElement(principal),
		Action: action,
		Resource: functionArn,
		...(Object.keys(condition).length > 0 && { Condition: condition }),
	};
}

/**
 * Whose policy a request edits: the function's (no qualifier, or `$LATEST`), or a published
 * version's or an alias's own (Lambda keeps one per qualifier). Its statements name the ARN
 * callers invoke: `function:NAME:QUALIFIER` for a qualified one.
 */
interface PolicyOwner {
	readonly fn: DeployedFunction;
	readonly qualifier?: string;
	readonly arn: string;
}

async function policyOwner(
	ctx: GatewayContext,
	target: FunctionTarget,
): Promise<PolicyOwner> {
	const q = await resolveQualifier(ctx, target);
	if (q.kind === "latest") return { fn: q.fn, arn: q.fn.arn };
	const qualifier =
		q.kind === "version" ? String(q.version.version) : q.alias.alias;
	return { fn: q.fn, qualifier, arn: `${q.fn.arn}:${qualifier}` };
}

async function writePolicy(
	ctx: GatewayContext,
	owner: PolicyOwner,
	statements: unknown[],
	expected: number,
): Promise<number> {
	const { fn, qualifier } = owner;
	const document = statements.length ? policyDocument(statements) : null;
	if (document) {
		const parsed = parsePolicy(document, "resource");
		if (!parsed.ok)
			throw new SigilError(
				"INVALID_PARAMETER",
				`The policy is not valid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
			);
	}
	try {
		return qualifier === undefined
			? await ctx.store.functions.putPolicy(
					fn.accountId,
					fn.name,
					document,
					expected,
				)
			: await ctx.store.versions.putPolicy(
					fn.accountId,
					fn.name,
					qualifier,
					document,
					expected,
				);
	} catch (err) {
		if (isStoreError(err, "STORE_CONFLICT"))
			throw new SigilError(
				"CONFLICT",
				"The function's policy changed meanwhile; retry.",
			);
		throw err;
	} finally {
		ctx.authorizer.invalidateFunction(fn.accountId, fn.name);
	}
}

async function currentPolicy(ctx: GatewayContext, owner: PolicyOwner) {
	const { fn, qualifier } = owner;
	const document = await ctx.authorizer.functionPolicyDocument(
		policyTarget(fn, qualifier),
	);
	const stored =
		qualifier === undefined
			? await ctx.store.functions.getPolicy(fn.accountId, fn.name)
			: await ctx.store.versions.getPolicy(fn.accountId, fn.name, qualifier);
	return { document, revision: stored?.policyRevision ?? 0 };
}

/** `POST /2015-03-31/functions/{name}/policy` → 201 `{"Statement": "<json>"}`. */
export async function addPermission({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const owner = await policyOwner(ctx, target);
	const body = jsonObject(ex);
	for (const key of Object.keys(body))
		if (!ADD_PERMISSION_FIELDS.has(key))
			throw new SigilError(
				"INVALID_PARAMETER",
				`${key.slice(0, 64)} is not supported by AddPermission on this gateway`,
			);
	const statement = buildStatement(body, owner.arn);
	const { document, revision } = await currentPolicy(ctx, owner);
	const revisionId = field(body, "RevisionId");
	if (revisionId !== undefined && revisionId !== String(revision))
		throw new SigilError(
			"CONFLICT",
			"The RevisionId provided does not match the latest RevisionId for the Lambda function. Call the GetPolicy API to retrieve the latest RevisionId.",
		);
	const statements = statementsOf(document);
	if (statements.some((s) => (s as { Sid?: unknown }).Sid === statement.Sid))
		throw new SigilError(
			"CONFLICT",
			`The statement id (${statement.Sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
		);
	await writePolicy(ctx, owner, [...statements, statement], revision);
	sendJson(ex, 201, { Statement: JSON.stringify(statement) });
}

/** `GET /2015-03-31/functions/{name}/policy` → `{"Policy": "<json>", "RevisionId"}`. */
export async function getPolicy({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const owner = await policyOwner(ctx, target);
	const { document, revision } = await currentPolicy(ctx, owner);
	if (!document)
		throw new SigilError(
			"PERMISSION_NOT_FOUND",
			"The resource you requested does not exist.",
		);
	sendJson(ex, 200, { Policy: document, RevisionId: String(revision) });
}

/** `DELETE /2015-03-31/functions/{name}/policy/{sid}` → 204. */
export async function removePermission({
	ex,
	ctx,
	target,
}: Call<StatementTarget>): Promise<void> {
	const owner = await policyOwner(ctx, target);
	const { document, revision } = await currentPolicy(ctx, owner);
	const revisionId = new URLSearchParams(ex.rawQuery).get("RevisionId");
	if (revisionId !== null && revisionId !== String(revision))
		throw new SigilError(
			"CONFLICT",
			"The RevisionId provided does not match the latest RevisionId for the Lambda function. Call the GetPolicy API to retrieve the latest RevisionId.",
		);
	const { sid } = target;
	const statements = statementsOf(document);
	const kept = statements.filter((s) => (s as { Sid?: unknown }).Sid !== sid);
	if (!document || kept.length === statements.length)
		throw new SigilError(
			"PERMISSION_NOT_FOUND",
			"Statement SID is not found in resource policy.",
		);
	await writePolicy(ctx, owner, kept, revision);
	send(ex, 204, Buffer.alloc(0));
}
