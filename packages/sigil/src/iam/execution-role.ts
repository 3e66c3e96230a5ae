/**
 * Execution roles (Lambda Developer Guide, "Lambda execution role"): a function may name a role
 * of its own account whose trust policy lets the service principal `lambda.amazonaws.com`
 * perform `sts:AssumeRole`; its code then runs with that role's temporary credentials. The rules,
 * in the order AWS applies them at CreateFunction / UpdateFunctionConfiguration:
 *
 * 1. the role is in the function's account, else AccessDeniedException "Cross-account pass role
 *    is not allowed." (Lambda cannot pass another account's role);
 * 2. the caller may `iam:PassRole` that role (condition key `iam:PassedToService` =
 *    lambda.amazonaws.com) — without this check, anyone allowed to deploy could run code as any
 *    role of the account, admin included;
 * 3. the role exists and its trust policy allows lambda.amazonaws.com, else
 *    InvalidParameterValueException "The role defined for the function cannot be assumed by
 *    Lambda." (a missing role gets the same words: the deployer learns nothing more).
 *
 * Each instance then gets a session of that role as STS's AssumeRole issues it (session name:
 * the function's name, so calls show as `assumed-role/ROLE/FUNCTION`), lasting
 * {@link DEFAULT_SESSION_MS}. Sessions are stateless tokens bound to the role's unique id, so
 * deleting (or re-creating) the role ends them at once, as it ends every role session. Before
 * each invocation the role is read again: a deleted role or a trust policy that no longer lets
 * Lambda in refuses the invocation (EXECUTION_ROLE_UNUSABLE), so no code runs with a role Lambda
 * may no longer assume.
 */
import { evaluate, type RequestContext } from "@sigil/policy";
import { SigilError } from "../errors.ts";
import type { InstanceCredentials } from "../runtime/role-credentials.ts";
import type { Store } from "../store/store.ts";
import type { Role } from "../store/types.ts";
import type { Authorizer } from "./authorizer.ts";
import { type IamPrincipal, isRoot } from "./principal.ts";
import type { SessionTokenCodec } from "./session-token.ts";

export const LAMBDA_SERVICE = "lambda.amazonaws.com";
/** An hour: AssumeRole's default, and no role allows less (MaxSessionDuration ≥ 3600 s). */
export const DEFAULT_SESSION_MS = 3_600_000;
/** What Lambda's CreateFunction answers for a role it cannot assume (or that does not exist). */
export const CANNOT_ASSUME =
	"The role defined for the function cannot be assumed by Lambda.";
export const CROSS_ACCOUNT = "Cross-account pass role is not allowed.";
/** IAM role ARN: account and name (a path may sit between `role/` and the name). */
const ROLE_ARN =
	/^arn:aws:iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;

export interface ExecutionRoleOptions {
	readonly store: Store;
	readonly authorizer: Authorizer;
	readonly sessions: SessionTokenCodec;
	readonly region: string;
	readonly now: () => number;
	/** How long each issued session lasts (default {@link DEFAULT_SESSION_MS}). */
	readonly sessionMs?: number;
}

/** One function's source of role credentials, as its runtime asks for them. */
export interface RoleCredentials extends InstanceCredentials {
	readonly roleArn: string;
	/** Refuses (EXECUTION_ROLE_UNUSABLE) when Lambda may no longer assume the role. */
	verify(): Promise<void>;
}

/** Account and role name of a role ARN, or undefined when it is not one. */
export function parseRoleArn(
	arn: string,
): { accountId: string; roleName: string } | undefined {
	const m = ROLE_ARN.exec(arn);
	return m
		? { accountId: m[1] as string, roleName: m[2] as string }
		: undefined;
}

export class ExecutionRoles {
	readonly #o: ExecutionRoleOptions;
	readonly sessionMs: number;

	constructor(options: ExecutionRoleOptions) {
		this.#o = options;
		this.sessionMs = options.sessionMs ?? DEFAULT_SESSION_MS;
	}

	/**
	 * Steps 1–3 above for a deploy by `by` of a function of `accountId` naming `roleArn`; returns
	 * the role. `by` undefined means the role is not new to the function (nothing is passed).
	 */
	async authorizeDeploy(
		accountId: string,
		roleArn: string,
		by: IamPrincipal | undefined,
	): Promise<Role> {
		const ref = parseRoleArn(roleArn);
		if (ref === undefined) throw unusable("EXECUTION_ROLE_INVALID");
		if (ref.accountId !== accountId)
			throw new SigilError("ACCESS_DENIED", CROSS_ACCOUNT);
		if (by !== undefined) await this.#authorizePass(by, roleArn, accountId);
		const role = await this.#assumable(accountId, ref.roleName, roleArn);
		if (role === undefined) throw unusable("EXECUTION_ROLE_INVALID");
		return role;
	}

	/**
	 * The credentials source of one function. `onIssue` hears each issued secret and token, so
	 * the function's log redaction knows them.
	 */
	async credentialsFor(
		accountId: string,
		functionName: string,
		roleArn: string,
		onIssue: (secretValues: readonly string[]) => void,
	): Promise<RoleCredentials> {
		const ref = parseRoleArn(roleArn);
		const load = async () =>
			ref === undefined || ref.accountId !== accountId
				? undefined
				: this.#assumable(accountId, ref.roleName, roleArn);
		// Undefined while Lambda may not assume it: invocations are then refused by verify().
		let role = await load();
		const { sessions, region, now } = this.#o;
		const sessionMs = this.sessionMs;
		// A session name is 2–64 of [\w+=,.@-]; function names are 1–64 of [a-z0-9-].
		const sessionName =
			functionName.length >= 2 ? functionName : `${functionName}-fn`;
		return {
			roleArn,
			lifetimeMs: sessionMs,
			issue: () => {
				const regionEnv = { AWS_REGION: region, AWS_DEFAULT_REGION: region };
				// An instance started while the role is unusable gets none (it serves nothing: every
				// invocation is refused until verify() sees the role again).
				if (role === undefined) return regionEnv;
				const at = now();
				const arn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`;
				const s = sessions.issue(
					{
						accountId: role.accountId,
						arn,
						userId: `${role.roleId}:${sessionName}`,
						principalId: role.roleId,
						type: "AssumedRole",
						roleName: role.roleName,
						roleArn: role.arn,
						expiresAt: at + sessionMs,
					},
					at,
				);
				onIssue([s.secretAccessKey, s.sessionToken]);
				return {
					AWS_ACCESS_KEY_ID: s.accessKeyId,
					AWS_SECRET_ACCESS_KEY: s.secretAccessKey,
					AWS_SESSION_TOKEN: s.sessionToken,
					...regionEnv,
				};
			},
			verify: async () => {
				const current = await load();
				if (current === undefined)
					throw unusable("EXECUTION_ROLE_UNUSABLE", functionName, roleArn);
				// Re-created under the same name: later instances get sessions of the new role.
				role = current;
			},
		};
	}

	/** The role, when it exists under exactly that ARN and trusts Lambda; else undefined. */
	async #assumable(
		accountId: string,
		roleName: string,
		roleArn: string,
	): Promise<Role | undefined> {
		const role = await this.#o.store.roles.get(accountId, roleName);
		if (role === undefined || role.arn !== roleArn) return undefined;
		return this.trustsLambda(role) ? role : undefined;
	}

	/** Whether the role's trust policy lets the Lambda service principal sts:AssumeRole. */
	trustsLambda(role: Role): boolean {
		const trust = this.#o.authorizer.compile(
			role.trustPolicy,
			"trust",
			"trust-policy",
		);
		if (trust === undefined) return false;
		const at = this.#o.now();
		const context: RequestContext = {
			"aws:CurrentTime": new Date(at).toISOString(),
			"aws:EpochTime": Math.floor(at / 1000),
			"aws:SourceAccount": role.accountId,
			"aws:RequestedRegion": this.#o.region,
		};
		const decision = evaluate({
			principal: { type: "Service", arn: LAMBDA_SERVICE, accountId: "" },
			action: "sts:AssumeRole",
			resource: role.arn,
			resourceAccountId: role.accountId,
			resourcePolicy: trust,
			context,
		});
		return decision.allowed;
	}

	/** Step 2: iam:PassRole for the deploying principal (root of the account always may). */
	async #authorizePass(
		by: IamPrincipal,
		roleArn: string,
		accountId: string,
	): Promise<void> {
		if (isRoot(by) && by.accountId === accountId) return;
		const at = this.#o.now();
		const { decision } = await this.#o.authorizer.authorize({
			principal: by,
			action: "iam:PassRole",
			resource: roleArn,
			resourceAccountId: accountId,
			context: {
				"aws:CurrentTime": new Date(at).toISOString(),
				"aws:EpochTime": Math.floor(at / 1000),
				"aws:RequestedRegion": this.#o.region,
				"iam:PassedToService": LAMBDA_SERVICE,
			},
		});
		if (!decision.allowed)
			throw new SigilError(
				"ACCESS_DENIED",
				`User: ${by.arn} is not authorized to perform: iam:PassRole on resource: ${roleArn}`,
			);
	}
}

function unusable(
	code: "EXECUTION_ROLE_INVALID" | "EXECUTION_ROLE_UNUSABLE",
	functionName?: string,
	roleArn?: string,
): SigilError {
	return code === "EXECUTION_ROLE_INVALID"
		? new SigilError(code, CANNOT_ASSUME)
		: new SigilError(
				code,
				`function ${functionName} cannot run: its execution role ${roleArn} no longer exists or its trust policy no longer lets lambda.amazonaws.com assume it. Restore the role (or its trust), or give the function another role`,
			);
}
