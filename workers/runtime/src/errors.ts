/**
 * Thrown by a handler for a message that can never succeed (out of stock, an order that no
 * longer exists): retrying would only walk it into the dead-letter queue. The claim is closed
 * as rejected with this message as its reason, the message is acked, and the hit is counted as
 * `rejected`; later duplicates of the key are acked as duplicates. In transactional mode the
 * effect is rolled back and the rejected claim committed.
 */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnrecoverableError";
  }
}

/**
 * By class, or by name: a service can end up with two copies of this package (one bundled by a
 * dependency), whose classes are different objects.
 */
export function isUnrecoverable(err: unknown): err is Error {
  return err instanceof UnrecoverableError || (err instanceof Error && err.name === "UnrecoverableError");
}

/** A singleton (retention, migrations, the alert evaluator) acted after another instance took its lease over; nothing it did in that transaction was committed. */
export class LeaseLostError extends Error {
  constructor(readonly lease: string, readonly fence: number) {
    super(`singleton lease ${lease} (fence ${fence}) is no longer held by this instance`);
    this.name = "LeaseLostError";
  }
}

/** Where to connect was not said: the package never guesses a database. */
export class MissingDatabaseError extends Error {
  constructor() {
    super("no database given: set DATABASE_URL (or pass --database-url / a databaseUrl option), e.g. mysql://user:pass@host:3306/dedup_audit");
    this.name = "MissingDatabaseError";
  }
}
