/**
 * The console's pages by location hash (`#/functions/hello`). The hash never holds a secret or
 * a session value: only page names, function names, job and request ids.
 */
export type Route =
	| { page: "functions" }
	| { page: "function"; name: string }
	| { page: "auth-log"; function?: string }
	| { page: "debugger"; requestId?: string }
	| { page: "access" }
	| { page: "simulator" }
	| { page: "jobs"; id?: string };

export function parseRoute(hash: string): Route {
	const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?", 2);
	const parts = path
		.split("/")
		.filter(Boolean)
		.map((p) => {
			try {
				return decodeURIComponent(p);
			} catch {
				return p;
			}
		});
	const q = new URLSearchParams(query);
	switch (parts[0]) {
		case "functions":
			return parts[1]
				? { page: "function", name: parts[1] }
				: { page: "functions" };
		case "auth-log": {
			const fn = q.get("function");
			return fn ? { page: "auth-log", function: fn } : { page: "auth-log" };
		}
		case "debugger": {
			const id = q.get("request");
			return id ? { page: "debugger", requestId: id } : { page: "debugger" };
		}
		case "access":
			return { page: "access" };
		case "simulator":
			return { page: "simulator" };
		case "jobs":
			return parts[1] ? { page: "jobs", id: parts[1] } : { page: "jobs" };
		default:
			return { page: "functions" };
	}
}

export function href(route: Route): string {
	switch (route.page) {
		case "function":
			return `#/functions/${encodeURIComponent(route.name)}`;
		case "auth-log":
			return route.function
				? `#/auth-log?function=${encodeURIComponent(route.function)}`
				: "#/auth-log";
		case "debugger":
			return route.requestId
				? `#/debugger?request=${encodeURIComponent(route.requestId)}`
				: "#/debugger";
		case "jobs":
			return route.id ? `#/jobs/${encodeURIComponent(route.id)}` : "#/jobs";
		default:
			return `#/${route.page}`;
	}
}
