/** What every route handler can reach: the composed parts of one running gateway. */
import type { ConsoleAssets } from "../console/index.ts";
import type { FunctionRegistry } from "../functions/registry.ts";
import type { Authorizer } from "../iam/authorizer.ts";
import type { AuthContext } from "./authenticate.ts";

export interface LogEntry {
	readonly [key: string]: unknown;
}

export interface GatewayContext extends AuthContext {
	readonly functions: FunctionRegistry;
	/** Phase 3: identity and resource policies, cached, decided by @sigil/policy. */
	readonly authorizer: Authorizer;
	readonly version: string;
	/** One structured line per event; never given a secret. */
	readonly log: (entry: LogEntry) => void;
	/** Default body limit for control-plane routes without their own. */
	readonly maxBodyBytes: number;
	/** The web console's built files (default: packages/console/dist of this checkout). */
	readonly consoleAssets?: ConsoleAssets;
}
