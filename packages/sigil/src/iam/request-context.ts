/**
 * The request context keys of one decision (IAM User Guide, "AWS global condition context
 * keys"; Lambda Developer Guide, "Function URL condition keys"). The principal keys
 * (`aws:PrincipalArn`, `aws:username`, …) are derived by the engine from the verified principal.
 */
import type { RequestContext } from "@sigil/policy";
import type { Exchange } from "../gateway/exchange.ts";

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1, as AWS reports it. */
export function sourceIpOf(ex: Exchange): string {
	const ip = ex.sourceIp;
	return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

/** Global keys every decision gets: source IP, time, transport, region. */
export function requestContext(
	ex: Exchange,
	now: number,
	region: string,
	functionUrlAuthType?: "AWS_IAM" | "NONE",
): RequestContext {
	const secure = (ex.req.socket as { encrypted?: boolean }).encrypted === true;
	return {
		"aws:SourceIp": sourceIpOf(ex),
		"aws:CurrentTime": new Date(now).toISOString(),
		"aws:EpochTime": Math.floor(now / 1000),
		"aws:SecureTransport": secure,
		"aws:RequestedRegion": region,
		...(functionUrlAuthType !== undefined && {
			"lambda:FunctionUrlAuthType": functionUrlAuthType,
			"lambda:InvokedViaFunctionUrl": true,
		}),
	};
}
