/**
 * The console's shell: sign-in (a long-term key exchanged at once for STS session credentials),
 * then the navigation and the page the location hash names.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { Api } from "./lib/api.ts";
import { parsePastedKey } from "./lib/profile.ts";
import { href, parseRoute, type Route } from "./lib/route.ts";
import {
	clearSession,
	loadSession,
	type Session,
	saveSession,
} from "./lib/session.ts";
import { signIn } from "./lib/sts.ts";
import { AccessPage } from "./pages/access.tsx";
import { AuthLogPage } from "./pages/auth-log.tsx";
import { DebuggerPage } from "./pages/debugger.tsx";
import { FunctionPage, FunctionsPage } from "./pages/functions.tsx";
import { JobsPage } from "./pages/jobs.tsx";
import { SimulatorPage } from "./pages/simulator.tsx";
import { ApiContext, Failure, Field } from "./ui.tsx";

function SignIn({ onSession }: { onSession(s: Session): void }) {
	const [keyId, setKeyId] = useState("");
	const [secret, setSecret] = useState("");
	const [pasted, setPasted] = useState("");
	const [region, setRegion] = useState("");
	const [error, setError] = useState<unknown>(undefined);
	const [busy, setBusy] = useState(false);

	useEffect(() => {
		fetch("/sigil/v1/info", {
			credentials: "omit",
			signal: AbortSignal.timeout(10_000),
		})
			.then((r) => r.json() as Promise<{ region?: string }>)
			.then((info) => setRegion((r) => r || info.region || "us-east-1"))
			.catch(() => setRegion((r) => r || "us-east-1"));
	}, []);

	const submit = async () => {
		setError(undefined);
		const key = pasted.trim()
			? parsePastedKey(pasted)
			: { accessKeyId: keyId.trim(), secretAccessKey: secret.trim() };
		if (!key?.accessKeyId || !key.secretAccessKey) {
			setError(
				new Error(
					"Give an access key id and its secret, or paste a profile holding both.",
				),
			);
			return;
		}
		setBusy(true);
		try {
			const session = await signIn(
				window.location.origin,
				region.trim() || "us-east-1",
				key,
			);
			onSession(session);
		} catch (err) {
			setError(err);
		} finally {
			// The long-term secret is dropped whatever happened: only the session stays.
			setSecret("");
			setPasted("");
			setBusy(false);
		}
	};

	return (
		<main class="sign-in">
			<h1>Sigil console</h1>
			<p class="muted">
				Sign in with an access key. The browser exchanges it for session
				credentials (STS GetSessionToken, one hour) and keeps only those, for
				this tab; the key's secret is not stored.
			</p>
			<form
				aria-label="Sign in"
				autocomplete="off"
				onSubmit={(e) => {
					e.preventDefault();
					void submit();
				}}
			>
				<Field label="Access key id">
					<input
						name="access-key-id"
						autocomplete="off"
						spellcheck={false}
						value={keyId}
						onInput={(e) => setKeyId(e.currentTarget.value)}
					/>
				</Field>
				<Field label="Secret access key">
					<input
						type="password"
						name="secret-access-key"
						autocomplete="off"
						value={secret}
						onInput={(e) => setSecret(e.currentTarget.value)}
					/>
				</Field>
				<Field
					label="Or paste a profile"
					hint="aws_access_key_id / aws_secret_access_key lines, or the JSON of sigil key create --json"
				>
					<textarea
						rows={3}
						class="mono"
						autocomplete="off"
						spellcheck={false}
						value={pasted}
						onInput={(e) => setPasted(e.currentTarget.value)}
					/>
				</Field>
				<Field label="Region">
					<input
						name="region"
						value={region}
						onInput={(e) => setRegion(e.currentTarget.value)}
					/>
				</Field>
				<button type="submit" disabled={busy}>
					{busy ? "Signing in…" : "Sign in"}
				</button>
			</form>
			{error !== undefined && <Failure error={error} />}
		</main>
	);
}

const NAV: [Route["page"], string][] = [
	["functions", "Functions"],
	["auth-log", "Auth log"],
	["debugger", "Signature debugger"],
	["access", "Keys, users, roles, policies"],
	["simulator", "Simulator"],
	["jobs", "Jobs"],
];

function Page({ route }: { route: Route }) {
	switch (route.page) {
		case "function":
			return <FunctionPage key={route.name} name={route.name} />;
		case "auth-log":
			return (
				<AuthLogPage
					key={route.function ?? ""}
					{...(route.function && { initialFunction: route.function })}
				/>
			);
		case "debugger":
			return (
				<DebuggerPage
					key={route.requestId ?? ""}
					{...(route.requestId && { requestId: route.requestId })}
				/>
			);
		case "access":
			return <AccessPage />;
		case "simulator":
			return <SimulatorPage />;
		case "jobs":
			return <JobsPage {...(route.id && { id: route.id })} />;
		default:
			return <FunctionsPage />;
	}
}

export function App() {
	const [session, setSession] = useState<Session | null>(() =>
		loadSession(sessionStorage, Date.now()),
	);
	const [route, setRoute] = useState<Route>(() =>
		parseRoute(window.location.hash),
	);
	useEffect(() => {
		const onHash = () => setRoute(parseRoute(window.location.hash));
		window.addEventListener("hashchange", onHash);
		return () => window.removeEventListener("hashchange", onHash);
	}, []);
	// The session ends when its credentials do.
	useEffect(() => {
		if (!session) return;
		const left = Date.parse(session.expiration) - Date.now();
		const timer = setTimeout(
			() => {
				clearSession(sessionStorage);
				setSession(null);
			},
			Math.max(0, Math.min(left, 2 ** 31 - 1)),
		);
		return () => clearTimeout(timer);
	}, [session]);
	const api = useMemo(
		() => (session ? new Api(session, window.location.origin) : null),
		[session],
	);

	if (!session || !api)
		return (
			<SignIn
				onSession={(s) => {
					saveSession(sessionStorage, s);
					setSession(s);
				}}
			/>
		);
	const current = route.page === "function" ? "functions" : route.page;
	return (
		<ApiContext.Provider value={api}>
			<header class="top">
				<a class="brand" href={href({ page: "functions" })}>
					Sigil
				</a>
				<nav aria-label="Console pages">
					{NAV.map(([page, text]) => (
						<a
							key={page}
							href={`#/${page}`}
							aria-current={current === page ? "page" : undefined}
						>
							{text}
						</a>
					))}
				</nav>
				<div class="who">
					<span class="mono" title="Signed in as">
						{session.arn}
					</span>
					<span class="muted">
						{session.region} · until {session.expiration.slice(11, 16)} UTC
					</span>
					<button
						type="button"
						class="small"
						onClick={() => {
							clearSession(sessionStorage);
							setSession(null);
						}}
					>
						Sign out
					</button>
				</div>
			</header>
			<main id="main">
				<Page route={route} />
			</main>
		</ApiContext.Provider>
	);
}
