/**
 * Every write to the store says what it changed on the `ChangeFeed`, whichever front door made it
 * (control plane, IAM and Lambda APIs, console, examples at start): the store the gateway hands
 * out is this wrapper, so no handler can forget to announce. The change is published after the
 * write has committed and names the object only; each gateway re-reads the store
 * (`change-invalidation.ts`). A publish that fails is logged and the write still stands: the
 * other gateways' caches then catch up within their TTL (5 s), as they would have without a feed.
 */
import type { Change, ChangeFeed, ChangeKind } from "../ports/change-feed.ts";
import type { Store } from "../store/store.ts";

type Args = readonly unknown[];
/** What a write changed, from its arguments and its result; `undefined`: nothing to announce. */
type Announce = (
	args: Args,
	result: unknown,
	before: unknown,
) => Change | Change[] | undefined;

interface Rule {
	readonly announce: Announce;
	/** Read before the write (what a delete needs to name its change: the key's account). */
	readonly before?: (args: Args) => Promise<unknown>;
}

const str = (v: unknown) => v as string;
const of =
	(kind: ChangeKind, name: (a: Args) => string): Announce =>
	(a) => ({ kind, accountId: str(a[0]), name: name(a) });
/** Identity policies of `kind/NAME`: arguments (accountId, kind, principalName, …). */
const policyOf: Announce = (a) => ({
	kind: "policy",
	accountId: str(a[0]),
	name: `${str(a[1])}/${str(a[2])}`,
});
const byName = (kind: ChangeKind) => of(kind, (a) => str(a[1]));
const fromInput =
	(kind: ChangeKind, field: string): Announce =>
	(a) => {
		const input = a[0] as Record<string, string>;
		return {
			kind,
			accountId: str(input.accountId),
			name: str(input[field]),
		};
	};
const keyAccount = (store: Store) => async (a: Args) =>
	(await store.accessKeys.get(str(a[0])))?.accountId;
const keyChange: Announce = (a, _r, accountId) =>
	typeof accountId === "string"
		? { kind: "access-key", accountId, name: str(a[0]) }
		: undefined;

function rules(store: Store): Record<string, Record<string, Rule>> {
	const r = (announce: Announce): Rule => ({ announce });
	return {
		accounts: {
			create: r((_a, result) => {
				const id = (result as { accountId: string }).accountId;
				return { kind: "account", accountId: id, name: id };
			}),
		},
		users: {
			create: r(fromInput("user", "userName")),
			delete: r(byName("user")),
		},
		roles: {
			create: r(fromInput("role", "roleName")),
			setTrustPolicy: r(byName("role")),
			delete: r(byName("role")),
		},
		policies: { put: r(policyOf), delete: r(policyOf) },
		groups: {
			create: r(fromInput("group", "groupName")),
			delete: r(byName("group")),
			addUser: r(byName("group")),
			removeUser: r(byName("group")),
			putPolicy: r(byName("group")),
			deletePolicy: r(byName("group")),
		},
		tags: {
			put: r((a) => ({
				kind: a[1] as ChangeKind,
				accountId: str(a[0]),
				name: str(a[2]),
			})),
			remove: r((a) => ({
				kind: a[1] as ChangeKind,
				accountId: str(a[0]),
				name: str(a[2]),
			})),
		},
		managedPolicies: {
			create: r(fromInput("managed-policy", "policyName")),
			delete: r(byName("managed-policy")),
			createVersion: r(byName("managed-policy")),
			setDefaultVersion: r(byName("managed-policy")),
			deleteVersion: r(byName("managed-policy")),
			attach: r(policyOf),
			detach: r(policyOf),
			putBoundary: r(policyOf),
			deleteBoundary: r(policyOf),
		},
		accessKeys: {
			create: r((a, result) => ({
				kind: "access-key",
				accountId: str((a[0] as { accountId: string }).accountId),
				name: (result as { accessKeyId: string }).accessKeyId,
			})),
			setStatus: { before: keyAccount(store), announce: keyChange },
			delete: { before: keyAccount(store), announce: keyChange },
		},
		functions: {
			put: r(fromInput("function", "name")),
			delete: r(byName("function")),
			putPolicy: r(byName("function")),
		},
		// A version or an alias is part of its function: its qualifier policies are cached with it.
		versions: {
			publish: r(fromInput("function", "name")),
			delete: r(byName("function")),
			createAlias: r(fromInput("function", "name")),
			updateAlias: r(fromInput("function", "name")),
			deleteAlias: r(byName("function")),
			putPolicy: r(byName("function")),
		},
		secrets: { put: r(byName("secret")), delete: r(byName("secret")) },
	};
}

/** `store`, with every write announced on `feed`. Reads and the rest pass through unchanged. */
export function announceChanges(
	store: Store,
	feed: ChangeFeed,
	log: (entry: Record<string, unknown>) => void,
): Store {
	const table = rules(store);
	const publish = async (changes: Change[]) => {
		for (const change of changes)
			await feed.publish(change).catch((err: unknown) =>
				log({
					at: "change-feed",
					event: "publish-failed",
					kind: change.kind,
					error: (err as Error).message,
				}),
			);
	};
	// Adapters keep private fields: their methods must run on themselves, never the proxy. The
	// bound method is made once per name, not on every call (every read on the request path,
	// audit appends and key uses included, comes through here).
	const boundOf = (target: object) => {
		const bound = new Map<string | symbol, { of: unknown; fn: unknown }>();
		return (prop: string | symbol, value: (...a: unknown[]) => unknown) => {
			const hit = bound.get(prop);
			if (hit?.of === value) return hit.fn;
			const fn = value.bind(target);
			bound.set(prop, { of: value, fn });
			return fn;
		};
	};
	const wrapPart = (part: object, partRules: Record<string, Rule>) => {
		const bind = boundOf(part);
		return new Proxy(part, {
			get(target, prop, receiver) {
				const value = Reflect.get(target, prop, receiver);
				if (typeof value !== "function") return value;
				const rule = typeof prop === "string" ? partRules[prop] : undefined;
				if (!rule) return bind(prop, value);
				return async (...args: unknown[]) => {
					const before = await rule.before?.(args);
					const result = await value.apply(target, args);
					const change = rule.announce(args, result, before);
					if (change) await publish(Array.isArray(change) ? change : [change]);
					return result;
				};
			},
		});
	};
	const parts = new Map<string | symbol, object>();
	for (const [name, partRules] of Object.entries(table)) {
		const part = (store as unknown as Record<string, object | undefined>)[name];
		if (part) parts.set(name, wrapPart(part, partRules));
	}
	const bindStore = boundOf(store);
	return new Proxy(store, {
		get(target, prop, receiver) {
			const part = parts.get(prop);
			if (part) return part;
			const value = Reflect.get(target, prop, receiver);
			return typeof value === "function" ? bindStore(prop, value) : value;
		},
	});
}
