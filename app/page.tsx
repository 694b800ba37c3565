export default function OverviewPage() {
  return (
    <main>
      <h1>dedup-audit</h1>
      <p>Consumer groups will appear here once workers have consumed messages.</p>
    </main>
  );
}
