/**
 * Phase 3 of the pipeline: may this principal perform this action on this resource? Loads the
 * principal's identity policies (a user's or a role's inline policies and attached managed
 * policies, and a user's groups' policies), permissions boundary and tags (`aws:PrincipalTag/…`),
 * the session policy of STS credentials and the function's resource policy, each compiled once
 * and cached, then asks the pure engine (@sigil/policy) for the decision.
 *
 * Caches: compiled identity policies per principal and the compiled resource policy per
 * function, for `ttlMs` (bounding how long another gateway's write takes to bite here); this
 * gateway's own writes invalidate at once (`invalidatePrincipal`, `invalidateFunction`). A
 * decision reads two map entries, so its cost does not grow with the number of principals or
 * functions in the store.
 */
import {
	type AuthorizationRequest,
	type CompileCache,
	createCompileCache,
	type Decision,
	evaluate,
	type NamedPolicy,
	type PolicyKind,
	parsePolicy,
	type RequestContext,
} from "@sigil/policy";
import { isStoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import type { PrincipalKind, Tag } from "../store/types.ts";
import {
	DEFAULT_FUNCTION_URL_AUTH,
	type FunctionUrlAuthModel,
} from "./function-url-auth.ts";
import { type IamPrincipal, requestPrincipalOf } from "./principal.ts";
import { policyDocument, publicStatements } from "./public-invoke.ts";

/** The function whose resource policy applies, as far as authorization needs it. */
export interface PolicyTarget {
	readonly accountId: string;
	readonly name: string;
	readonly arn: string;
	/** The trigger's auth type: `none` adds the public-invoke statement to a never-written policy. */
	readonly triggerAuth?: string;
	/**
	 * A published version (`"1"`) or alias (`"prod"`): its own resource policy applies, not the
	 * function's (Lambda keeps one per qualifier; a grant on `fn:prod` grants nothing on `fn`).
	 */
	readonly qualifier?: string;
}

export interface AuthorizeInput {
	readonly principal: IamPrincipal;
	readonly action: string;
	readonly resource: string;
	readonly resourceAccountId: string;
	/** The addressed function, when its resource policy takes part. */
	readonly fn?: PolicyTarget;
	/** A resource policy given directly (a role's trust policy for sts:AssumeRole). */
	readonly resourcePolicy?: NamedPolicy;
	readonly context: RequestContext;
}

export interface Authorization {
	readonly decision: Decision;
	/** The request as the engine saw it (for `accessDeniedMessage` / `explain`). */
	readonly request: AuthorizationRequest;
}

interface Entry<T> {
	readonly value: T;
	readonly until: number;
}

const DENY_ALL =
	'{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}';
/** What a user's or role's decisions take from IAM: identity policies and the boundary. */
export interface PrincipalPolicies {
	readonly identity: readonly NamedPolicy[];
	readonly boundary?: NamedPolicy;
	/** `aws:PrincipalTag/KEY` → value for each of the user's or role's tags, when it has any. */
	readonly tagContext?: RequestContext;
}

const NO_POLICIES: PrincipalPolicies = { identity: [] };

/** One policy text of a principal, labelled as decisions name it, with where it comes from. */
export interface PolicyText {
	readonly label: string;
	readonly source: "user" | "role" | "group" | "managed";
	/** The policy's own name (inline or managed). */
	readonly id: string;
	readonly document: string;
}

export interface PrincipalDocuments {
	readonly identity: readonly PolicyText[];
	readonly boundary?: PolicyText;
	readonly tags: readonly Tag[];
}

/** Loads, compiles and caches policies; decides with the engine. */
export class Authorizer {
	readonly #store: Store;
	readonly #ttlMs: number;
	readonly #now: () => number;
	readonly #log: (entry: Record<string, unknown>) => void;
	/** The gateway's function URL model: what a URL call needs, what a public URL is granted. */
	readonly functionUrlAuth: FunctionUrlAuthModel;
	readonly #compileCache: CompileCache = createCompileCache();
	readonly #identity = new Map<string, Entry<PrincipalPolicies>>();
	readonly #resource = new Map<string, Entry<NamedPolicy | undefined>>();
	readonly #session = new Map<string, NamedPolicy | undefined>();
	/**
	 * Bumped by every invalidation: a load that read the store before another gateway's change
	 * was announced must not put its stale answer back into the cache after the invalidation.
	 */
	#generation = 0;

	constructor(
		store: Store,
		opts: {
			ttlMs?: number;
			now?: () => number;
			log?: (entry: Record<string, unknown>) => void;
			/** Which permissions a function URL call needs (function-url-auth.ts). */
			functionUrlAuth?: FunctionUrlAuthModel;
		} = {},
	) {
		this.functionUrlAuth = opts.functionUrlAuth ?? DEFAULT_FUNCTION_URL_AUTH;
		this.#store = store;
		this.#ttlMs = opts.ttlMs ?? 5_000;
		this.#now = opts.now ?? Date.now;
		this.#log = opts.log ?? (() => {});
	}

	/** Decides one request. Never throws for a denial: the decision says so. */
	async authorize(input: AuthorizeInput): Promise<Authorization> {
		const p = input.principal;
		const principal = requestPrincipalOf(p);
		const {
			identity: identityPolicies,
			boundary: permissionsBoundary,
			tagContext,
		} = principal.type === "User" && p.userName !== undefined
			? await this.principalPolicies(p.accountId, "user", p.userName)
			: principal.type === "AssumedRole" && p.roleName !== undefined
				? await this.principalPolicies(p.accountId, "role", p.roleName)
				: NO_POLICIES;
		const resourcePolicy =
			input.resourcePolicy ??
			(input.fn ? await this.resourcePolicy(input.fn) : undefined);
		const sessionPolicy =
			p.sessionPolicy !== undefined
				? this.#sessionPolicy(p.sessionPolicy)
				: undefined;
		const request: AuthorizationRequest = {
			principal,
			action: input.action,
			resource: input.resource,
			resourceAccountId: input.resourceAccountId,
			identityPolicies,
			...(permissionsBoundary && { permissionsBoundary }),
			...(sessionPolicy && { sessionPolicies: [sessionPolicy] }),
			...(resourcePolicy && { resourcePolicy }),
			// The principal's tags (`aws:PrincipalTag/KEY`) are the store's word, never the request's.
			context:
				tagContext === undefined
					? input.context
					: { ...input.context, ...tagContext },
		};
		return { decision: evaluate(request), request };
	}

	/**
	 * The compiled identity policies of a user or role (cached): its inline policies (named by
	 * policy name), the version in force of each managed policy attached to it (named by the
	 * policy's ARN) and, for a user, the inline (`GROUP/POLICY`) and attached policies of every
	 * group it belongs to.
	 */
	async identityPolicies(
		accountId: string,
		kind: PrincipalKind,
		name: string,
	): Promise<readonly NamedPolicy[]> {
		return (await this.principalPolicies(accountId, kind, name)).identity;
	}

	/**
	 * {@link identityPolicies}, the permissions boundary (the version in force of the managed
	 * policy set as the user's or role's boundary) and the tags, cached together.
	 */
	async principalPolicies(
		accountId: string,
		kind: PrincipalKind,
		name: string,
	): Promise<PrincipalPolicies> {
		const key = `${accountId}\0${kind}\0${name.toLowerCase()}`;
		const now = this.#now();
		const hit = this.#identity.get(key);
		if (hit && hit.until > now) return hit.value;
		const generation = this.#generation;
		const docs = await this.principalDocuments(accountId, kind, name);
		const value: NamedPolicy[] = [];
		for (const d of docs.identity) {
			const compiled = this.#compile(d.document, "identity", d.label);
			if (compiled) value.push(compiled);
		}
		const boundary =
			docs.boundary === undefined
				? undefined
				: this.compileBoundary(docs.boundary.document, docs.boundary.label);
		const entry: PrincipalPolicies = {
			identity: value,
			...(boundary && { boundary }),
			...(docs.tags.length > 0 && {
				tagContext: Object.fromEntries(
					docs.tags.map((t) => [`aws:PrincipalTag/${t.key}`, t.value]),
				),
			}),
		};
		if (generation === this.#generation)
			this.#identity.set(key, { value: entry, until: now + this.#ttlMs });
		return entry;
	}

	/**
	 * The policy texts a user's or role's decisions are made of, each labelled as decisions name
	 * it (inline: the policy name; a group's inline: `GROUP/POLICY`; managed: the ARN) and with
	 * where it comes from — what {@link principalPolicies} compiles, and what the policy
	 * simulator reports.
	 */
	async principalDocuments(
		accountId: string,
		kind: PrincipalKind,
		name: string,
	): Promise<PrincipalDocuments> {
		const user = kind === "user";
		const [inline, attached, groupInline, groupAttached, boundaryDoc, tags] =
			await Promise.all([
				this.#store.policies.list(accountId, kind, name),
				this.#store.managedPolicies.attachedDocuments(accountId, kind, name),
				user ? this.#store.groups.policiesForUser(accountId, name) : [],
				user
					? this.#store.managedPolicies.groupDocumentsForUser(accountId, name)
					: [],
				this.#store.managedPolicies.getBoundary(accountId, kind, name),
				this.#store.tags.list(accountId, kind, name),
			]);
		const identity: PolicyText[] = [
			...inline.map((p) => ({
				label: p.policyName,
				source: kind,
				id: p.policyName,
				document: p.document,
			})),
			...groupInline.map((p) => ({
				label: `${p.groupName}/${p.policyName}`,
				source: "group" as const,
				id: p.policyName,
				document: p.document,
			})),
		];
		// A policy attached to the user and to one of its groups counts once.
		const seen = new Set<string>();
		for (const p of [...attached, ...groupAttached])
			if (!seen.has(p.arn)) {
				seen.add(p.arn);
				identity.push({
					label: p.arn,
					source: "managed",
					id: p.policyName,
					document: p.document,
				});
			}
		return {
			identity,
			...(boundaryDoc && {
				boundary: {
					label: boundaryDoc.arn,
					source: "managed" as const,
					id: boundaryDoc.policyName,
					document: boundaryDoc.document,
				},
			}),
			tags,
		};
	}

	/** A group's own policies (inline and attached), labelled as {@link principalDocuments} does. */
	async groupDocuments(
		accountId: string,
		groupName: string,
	): Promise<PolicyText[]> {
		const [inline, attached] = await Promise.all([
			this.#store.groups.listPolicies(accountId, groupName),
			this.#store.managedPolicies.attachedDocuments(
				accountId,
				"group",
				groupName,
			),
		]);
		return [
			...inline.map((p) => ({
				label: `${p.groupName}/${p.policyName}`,
				source: "group" as const,
				id: p.policyName,
				document: p.document,
			})),
			...attached.map((p) => ({
				label: p.arn,
				source: "managed" as const,
				id: p.policyName,
				document: p.document,
			})),
		];
	}

	/** A boundary: validated when written; should it ever fail to compile, it allows nothing. */
	compileBoundary(text: string, label: string): NamedPolicy | undefined {
		return (
			this.#compile(text, "identity", label) ??
			this.#compile(DENY_ALL, "identity", label)
		);
	}

	/** The compiled resource policy of a function (cached), adding the public statement if due. */
	async resourcePolicy(fn: PolicyTarget): Promise<NamedPolicy | undefined> {
		const key = `${fn.accountId}\0${fn.name}${fn.qualifier === undefined ? "" : `\0${fn.qualifier}`}`;
		const now = this.#now();
		const hit = this.#resource.get(key);
		if (hit && hit.until > now) return hit.value;
		const generation = this.#generation;
		const document = await this.functionPolicyDocument(fn);
		const value = document
			? this.#compile(document, "resource", "function-policy")
			: undefined;
		if (generation === this.#generation)
			this.#resource.set(key, { value, until: now + this.#ttlMs });
		return value;
	}

	/**
	 * The stored policy text of a function; for an `auth: none` function whose policy was never
	 * written, first writes the public-invoke statement (as AWS's console does).
	 */
	async functionPolicyDocument(fn: PolicyTarget): Promise<string | null> {
		if (fn.qualifier !== undefined)
			return (
				(
					await this.#store.versions.getPolicy(
						fn.accountId,
						fn.name,
						fn.qualifier,
					)
				)?.document ?? null
			);
		const stored = await this.#store.functions.getPolicy(fn.accountId, fn.name);
		if (!stored) return null;
		if (fn.triggerAuth !== "none" || stored.policyRevision !== 0)
			return stored.document;
		const document = policyDocument(
			publicStatements(fn.arn, this.functionUrlAuth),
		);
		try {
			await this.#store.functions.putPolicy(fn.accountId, fn.name, document, 0);
			return document;
		} catch (err) {
			// Another writer got there first: theirs stands.
			if (!isStoreError(err, "STORE_CONFLICT")) throw err;
			return (
				(await this.#store.functions.getPolicy(fn.accountId, fn.name))
					?.document ?? null
			);
		}
	}

	/** Forgets a user's or role's cached policies (after this gateway wrote them). */
	invalidatePrincipal(accountId: string, kind: PrincipalKind, name: string) {
		this.#generation++;
		this.#identity.delete(`${accountId}\0${kind}\0${name.toLowerCase()}`);
	}

	/** Forgets a function's cached resource policies: its own and its versions' and aliases'. */
	invalidateFunction(accountId: string, name: string): void {
		this.#generation++;
		const key = `${accountId}\0${name}`;
		this.#resource.delete(key);
		for (const cached of this.#resource.keys())
			if (cached.startsWith(`${key}\0`)) this.#resource.delete(cached);
	}

	/**
	 * Forgets every cached policy (a group, a managed policy or an account changed on some
	 * gateway, or the change feed may have missed changes: it asked for a reconcile).
	 */
	invalidateAll(): void {
		this.#generation++;
		this.#identity.clear();
		this.#resource.clear();
	}

	#sessionPolicy(text: string): NamedPolicy | undefined {
		if (this.#session.has(text)) return this.#session.get(text);
		// Validated when the session was issued; should that ever fail, the session may do nothing.
		const compiled =
			this.#compile(text, "identity", "session-policy") ??
			this.#compile(DENY_ALL, "identity", "session-policy");
		if (this.#session.size >= 1000) this.#session.clear();
		this.#session.set(text, compiled);
		return compiled;
	}

	/** Compiles a stored policy; `undefined` (and a log line) when it does not validate. */
	compile(
		text: string,
		kind: PolicyKind,
		name: string,
	): NamedPolicy | undefined {
		return this.#compile(text, kind, name);
	}

	#compile(
		text: string,
		kind: PolicyKind,
		name: string,
	): NamedPolicy | undefined {
		const parsed = parsePolicy(text, kind, { cache: this.#compileCache });
		if (parsed.ok) return { name, policy: parsed.policy };
		// Written before validation existed, or by hand: it grants nothing, and the log says why.
		this.#log({
			at: "policy-invalid",
			name,
			errors: parsed.errors.map((e) => `${e.path}: ${e.message}`),
		});
		return undefined;
	}
}
