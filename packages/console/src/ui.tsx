/**
 * Pieces every page uses: loading an API answer, showing a failure (a principal without
 * permission gets a clear "Not allowed" and no data), copying a value. Everything is rendered
 * as text through Preact: no HTML string ever reaches the DOM.
 */
import type { ComponentChildren } from "preact";
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import type { Api } from "./lib/api.ts";
import { ApiError } from "./lib/errors.ts";

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
	const api = useContext(ApiContext);
	if (!api) throw new Error("useApi outside a signed-in console");
	return api;
}

export interface Loaded<T> {
	readonly data: T | undefined;
	readonly error: unknown;
	readonly loading: boolean;
	reload(): void;
}

/** Loads `fn` when `deps` change; `reload()` loads again. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
	// What the data was loaded for: data loaded for other deps (another function's page) is never
	// shown under the new ones, not even for the render before the new load starts.
	const key = JSON.stringify(deps);
	const [state, setState] = useState<{
		key: string;
		data?: T;
		error?: unknown;
		loading: boolean;
	}>({ key, loading: true });
	const [tick, setTick] = useState(0);
	useEffect(() => {
		let live = true;
		setState((s) =>
			s.key === key ? { ...s, loading: true } : { key, loading: true },
		);
		fn().then(
			(data) => live && setState({ key, data, loading: false }),
			(error: unknown) => live && setState({ key, error, loading: false }),
		);
		return () => {
			live = false;
		};
	}, [key, tick]);
	const reload = useCallback(() => setTick((t) => t + 1), []);
	const current = state.key === key;
	return {
		data: current ? state.data : undefined,
		error: current ? state.error : undefined,
		loading: current ? state.loading : true,
		reload,
	};
}

export function Failure({ error }: { error: unknown }) {
	if (error instanceof ApiError && error.notAllowed)
		return (
			<div class="failure denied" role="alert">
				<strong>Not allowed.</strong> Your policies do not allow this (
				{error.code}).
				<span class="detail">{error.message}</span>
				{error.requestId && (
					<span class="detail">Request id: {error.requestId}</span>
				)}
			</div>
		);
	if (error instanceof ApiError)
		return (
			<div class="failure" role="alert">
				<strong>{error.code}</strong>: {error.message}
				{error.requestId && (
					<span class="detail">Request id: {error.requestId}</span>
				)}
			</div>
		);
	return (
		<div class="failure" role="alert">
			{error instanceof Error ? error.message : String(error)}
		</div>
	);
}

/** Renders `children(data)` once loaded, the failure otherwise. */
export function Show<T>({
	loaded,
	children,
}: {
	loaded: Loaded<T>;
	children: (data: T) => ComponentChildren;
}) {
	if (loaded.error !== undefined) return <Failure error={loaded.error} />;
	if (loaded.data === undefined)
		return (
			<p class="muted" aria-busy="true">
				Loading…
			</p>
		);
	return <>{children(loaded.data)}</>;
}

export function CopyButton({ text, label }: { text: string; label: string }) {
	const [copied, setCopied] = useState(false);
	return (
		<button
			type="button"
			class="small"
			aria-label={label}
			onClick={() => {
				navigator.clipboard?.writeText(text).then(
					() => setCopied(true),
					() => setCopied(false),
				);
			}}
		>
			{copied ? "Copied" : "Copy"}
		</button>
	);
}

/** Runs an action from a button, showing its failure in place. */
export function useAction(): {
	busy: boolean;
	error: unknown;
	run(fn: () => Promise<void>): Promise<void>;
	clear(): void;
} {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<unknown>(undefined);
	const run = useCallback(async (fn: () => Promise<void>) => {
		setBusy(true);
		setError(undefined);
		try {
			await fn();
		} catch (err) {
			setError(err);
		} finally {
			setBusy(false);
		}
	}, []);
	return { busy, error, run, clear: () => setError(undefined) };
}

export function Field({
	label,
	children,
	hint,
}: {
	label: string;
	children: ComponentChildren;
	hint?: string;
}) {
	return (
		// biome-ignore lint/a11y/noLabelWithoutControl: the control is the child passed in
		<label class="field">
			<span class="label">{label}</span>
			{children}
			{hint && <span class="hint">{hint}</span>}
		</label>
	);
}

export function Section({
	title,
	children,
	actions,
}: {
	title: string;
	children: ComponentChildren;
	actions?: ComponentChildren;
}) {
	return (
		<section class="card" aria-label={title}>
			<header class="card-head">
				<h2>{title}</h2>
				{actions && <div class="actions">{actions}</div>}
			</header>
			{children}
		</section>
	);
}

export function formatTime(iso: string | undefined | null): string {
	if (!iso) return "";
	const d = new Date(iso);
	return Number.isNaN(d.getTime())
		? iso
		: d
				.toISOString()
				.replace("T", " ")
				.replace(/\.\d+Z$/, "Z");
}
