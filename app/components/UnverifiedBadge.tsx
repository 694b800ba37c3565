/** Marks an audit row whose group, topic and key were given by the caller, not read from a claim. */
export function UnverifiedBadge() {
  return (
    <>
      {" "}
      <span className="badge dead" data-unverified title="The claim no longer existed when this was tried: group, topic and key are as the caller described them, not verified">
        unverified target
      </span>
    </>
  );
}
