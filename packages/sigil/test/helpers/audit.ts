/** An audit record of an unsigned call with no detail: what retention and log tests append. */
import type { AuditInput } from "../../src/store/types.ts";

export function plainAuditRecord(r: {
	readonly accountId: string;
	readonly requestId: string;
	readonly time: number;
	readonly logs?: string;
	readonly outcome?: string;
}): AuditInput {
	return {
		requestId: r.requestId,
		time: r.time,
		accountId: r.accountId,
		functionName: "f",
		principalArn: null,
		accessKeyId: null,
		scheme: "none",
		outcome: r.outcome ?? "OK",
		httpStatus: 200,
		durationMs: 1,
		detail: null,
		logs: r.logs ?? "",
	};
}
