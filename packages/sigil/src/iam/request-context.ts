/**
 * The request context keys of one decision (IAM User Guide, "AWS global condition context
 * keys"; Lambda Developer Guide, "Function URL condition keys"). The principal keys
 * (`aws:PrincipalArn`, `aws:username`, …) are derived by the engine from the verified principal.
 */
import type { RequestContext } from "@sigil/policy";
import type { Exchange } from "../gateway/exchange.ts";
import type { IamPrincipal } from "./principal.ts";

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1, as AWS reports it. */
export function sourceIpOf(ex: Exchange): string {
	const ip = ex.sourceIp;
	return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

/**
 * Global keys every decision gets: source IP, time, transport, region; and, for temporary
 * credentials, `aws:TokenIssueTime` (when STS issued them). Long-term keys have no token, so the
 * key is absent for them, as in AWS: "Deny when DateLessThan aws:TokenIssueTime T" revokes the
 * sessions issued before T and nothing else.
 */
export function requestContext(
	ex: Exchange,
	now: number,
	region: string,
	functionUrlAuthType?: "AWS_IAM" | "NONE",
): RequestContext {
	const secure = (ex.req.socket as { encrypted?: boolean }).encrypted === true;
	const issuedAt = (ex.principal as IamPrincipal | undefined)?.issuedAt;
	return {
		"aws:SourceIp": sourceIpOf(ex),
		"aws:CurrentTime": new Date(now).toISOString(),
		"aws:EpochTime": Math.floor(now / 1000),
		"aws:SecureTransport": secure,
		"aws:RequestedRegion": region,
		...(issuedAt !== undefined && {
			"aws:TokenIssueTime": new Date(issuedAt).toISOString(),
		}),
		...(functionUrlAuthType !== undefined && {
			"lambda:FunctionUrlAuthType": functionUrlAuthType,
			"lambda:InvokedViaFunctionUrl": true,
		}),
	};
}
