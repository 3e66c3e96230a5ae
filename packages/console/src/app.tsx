export function App() {
	return <h1>Sigil console</h1>;
}
