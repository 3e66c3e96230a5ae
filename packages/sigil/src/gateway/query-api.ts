/**
 * `POST /` (and `GET /`, presigned or signed in the headers) — the endpoint `aws iam|sts …
 * --endpoint-url` call. The service in the verified credential scope says whether the form's
 * `Action` is an IAM or an STS operation. IAM operations are authorized here, per operation (the route table cannot know the
 * action before the body is read); every decision is audited.
 */
import { accessDeniedMessage, explain } from "@sigil/policy";
import { ERRORS, SigilError } from "../errors.ts";
import type { IamPrincipal } from "../iam/principal.ts";
import { requestContext } from "../iam/request-context.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { IAM_OPERATIONS } from "./iam-api.ts";
import {
	formParams,
	IAM_NS,
	namespaceOf,
	STS_NS,
	sendQueryError,
} from "./query-protocol.ts";
import { fromCode } from "./respond.ts";
import type { Call } from "./route.ts";
import { assumeRole, getCallerIdentity, getSessionToken } from "./sts-api.ts";
import type { AccountTarget } from "./targets.ts";

const VERSIONS: Record<string, string> = {
	iam: "2010-05-08",
	sts: "2011-06-15",
};

export async function queryApi({
	ex,
	ctx,
	principal: p,
}: Call<AccountTarget>): Promise<void> {
	const service = p.signedService === "iam" ? "iam" : "sts";
	const ns = service === "iam" ? IAM_NS : STS_NS;
	const q = formParams(ex);
	const action = q.get("Action") ?? "";
	try {
		if (service === "sts") {
			if (action === "GetCallerIdentity") return await getCallerIdentity(ex, p);
			if (action === "GetSessionToken")
				return await getSessionToken(ex, q, ctx, p);
			if (action === "AssumeRole") {
				try {
					await assumeRole(ex, q, ctx, p);
					record(ex, ctx, p, "ALLOWED", "sts:AssumeRole", null);
				} catch (err) {
					if (err instanceof SigilError && err.code === "ACCESS_DENIED")
						record(ex, ctx, p, "ACCESS_DENIED", "sts:AssumeRole", err.message);
					throw err;
				}
				return;
			}
		} else {
			const op = Object.hasOwn(IAM_OPERATIONS, action)
				? IAM_OPERATIONS[action]
				: undefined;
			if (op) {
				// The target is named once from the form; the same object is authorized and acted on.
				const bound = op.bind(q, p);
				const { decision, request } = await ctx.authorizer.authorize({
					principal: p,
					action: `iam:${action}`,
					resource: bound.target.resource,
					resourceAccountId: bound.target.accountId,
					context: {
						...requestContext(ex, ctx.now(), ctx.region),
						...bound.target.context,
					},
				});
				record(
					ex,
					ctx,
					p,
					decision.allowed ? "ALLOWED" : "ACCESS_DENIED",
					`iam:${action}`,
					decision.allowed ? null : explain(decision, request),
				);
				if (!decision.allowed)
					throw new SigilError(
						"ACCESS_DENIED",
						accessDeniedMessage(decision, request),
					);
				return await bound.run(ex, ctx, p);
			}
		}
		sendQueryError(
			ex,
			ns,
			{
				code: "BAD_REQUEST",
				status: 400,
				message: action
					? `Could not find operation ${action.slice(0, 64)} for version ${VERSIONS[service]}`
					: "Action is required",
			},
			action ? "InvalidAction" : "MissingAction",
		);
	} catch (err) {
		if (!(err instanceof SigilError)) throw err;
		sendQueryError(
			ex,
			ns,
			fromCode(err.code, err.message),
			ERRORS[err.code].aws,
		);
	}
}

function record(
	ex: Exchange,
	ctx: GatewayContext,
	p: IamPrincipal,
	outcome: string,
	action: string,
	explanation: string | null,
): void {
	void ctx.store.audit.append({
		requestId: ex.id,
		time: ex.receivedAt,
		accountId: p.accountId,
		functionName: null,
		principalArn: p.arn,
		accessKeyId: p.accessKeyId || null,
		scheme: p.scheme,
		outcome,
		httpStatus: outcome === "ALLOWED" ? 200 : 403,
		durationMs: 0,
		detail: { authorization: { action, ...(explanation && { explanation }) } },
		logs: "",
	});
}

export { namespaceOf };
