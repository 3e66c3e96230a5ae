/**
 * The gateway's verified caller as the policy engine sees it. The authenticator fills the
 * optional session fields (role, session policy) for STS credentials; everything else is
 * derived from the ARN's shape, which follows AWS (IAM User Guide, "IAM identifiers").
 */
import type { RequestPrincipal } from "@sigil/policy";
import type { Principal } from "../gateway/exchange.ts";

/** A {@link Principal} with what STS sessions and the query protocol add. */
export interface IamPrincipal extends Principal {
	/** For role sessions: the role (identity policies are the role's). */
	readonly roleName?: string;
	readonly roleArn?: string;
	/** For STS sessions: the session policy JSON, if any. */
	readonly sessionPolicy?: string;
	/** Epoch ms at which temporary credentials end. */
	readonly expiresAt?: number;
	/** Epoch ms at which STS issued the temporary credentials (`aws:TokenIssueTime`). */
	readonly issuedAt?: number;
	/** The service in the SigV4 credential scope (`iam`, `sts`, `lambda`, …). */
	readonly signedService?: string;
}

/** True for the `…:root` identity of an account (its admin key). */
export function isRoot(p: Principal): boolean {
	return p.arn === `arn:aws:iam::${p.accountId}:root`;
}

/** Shared-secret callers (payload HMAC, webhooks) have no IAM identity to evaluate. */
export function hasIamIdentity(p: Principal): boolean {
	return p.scheme !== "hmac" && p.scheme !== "webhook";
}

/** Maps a verified caller to the engine's principal (`aws:PrincipalType` and friends). */
export function requestPrincipalOf(p: IamPrincipal): RequestPrincipal {
	if (p.scheme === "none") return { type: "Anonymous", arn: "", accountId: "" };
	if (isRoot(p)) return { type: "Account", arn: p.arn, accountId: p.accountId };
	if (p.roleArn !== undefined)
		return {
			type: "AssumedRole",
			arn: p.arn,
			accountId: p.accountId,
			userId: p.userId,
			roleArn: p.roleArn,
		};
	return {
		type: "User",
		arn: p.arn,
		accountId: p.accountId,
		userId: p.userId,
		...(p.userName !== undefined && { username: p.userName }),
	};
}
