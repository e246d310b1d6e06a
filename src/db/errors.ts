// Which database failures are transient: the server restarting or not yet accepting connections, a
// connection lost or refused, a transaction picked as a deadlock or serialization victim. The caller
// may send the request again as it was (a lost COMMIT may have landed, which a retried create then
// meets as a 409, as an IdP's lookup-before-create would).

/** postgres.js's own codes for a lost connection, and the socket errors under them. */
const LOST_CONNECTION = new Set(["CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECTION_ENDED", "CONNECT_TIMEOUT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/**
 * SQLSTATEs: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections,
 * serialization_failure, deadlock_detected; class 08 (connection exceptions) is checked by prefix.
 */
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "40001", "40P01"]);

/** Whether `error`, or an error it wraps (drizzle keeps the driver's as its cause), is a transient database failure. */
export function isTransientDatabaseError(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (LOST_CONNECTION.has(code) || TRANSIENT_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  }
  return false;
}

/**
 * An unhandledRejection listener. postgres.js leaves one promise of its own unhandled: the array-type
 * lookup each new connection makes (fetchArrayTypes in its connection.js). A backend lost during that
 * lookup rejects it, and Node would end the process, though the pool reconnects. Such a rejection is
 * reported to `lost` instead; any other unhandled rejection still ends the process.
 */
export function outlivingLostConnections(lost: (error: unknown) => void): (reason: unknown) => void {
  return (reason) => {
    if (!isTransientDatabaseError(reason)) throw reason;
    lost(reason);
  };
}
