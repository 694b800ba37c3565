/**
 * HTTP/1.1 spoken by hand on a TCP socket: the request lines, methods and framing a browser or
 * fetch() would never send (`OPTIONS *`, TRACE, chunked bodies sent slowly) but anyone can.
 */
import net from "node:net";

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes the client managed to send before the server closed the connection. */
  sent: number;
}

function dechunk(s: string): string {
  let out = "";
  for (let at = 0; ; ) {
    const eol = s.indexOf("\r\n", at);
    const size = parseInt(s.slice(at, eol), 16);
    if (!size) return out;
    out += s.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/**
 * Sends `head` (which should say `connection: close`) then `body` piece by piece, as a slow
 * client would, to 127.0.0.1:`port`; the answer once the server closes the connection.
 */
export function rawRequest(port: number, head: string, body: Iterable<Buffer> = [], timeoutMs = 30_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    let sent = 0;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(head.split("\r\n")[0])}`)));
    socket.on("data", (d) => (received += d.toString("latin1")));
    socket.on("error", () => undefined); // a reset after the answer is expected for refused uploads
    socket.on("close", () => {
      const [top, ...rest] = received.split("\r\n\r\n");
      const lines = top.split("\r\n");
      const status = Number(lines[0]?.split(" ")[1]);
      if (!status) return reject(new Error(`no answer to ${JSON.stringify(head.split("\r\n")[0])}: ${JSON.stringify(received.slice(0, 200))}`));
      const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      const text = rest.join("\r\n\r\n");
      resolve({ status, headers, body: headers["transfer-encoding"] === "chunked" ? dechunk(text) : text, sent });
    });
    socket.on("connect", async () => {
      socket.write(head);
      for (const piece of body) {
        if (socket.destroyed || !socket.writable) break;
        socket.write(piece);
        sent += piece.length;
        await new Promise((r) => setImmediate(r));
      }
      // No half-close: node:http drops a request whose client has ended its side before the
      // answer is ready. Requests say `connection: close`, so the server ends the exchange.
    });
  });
}

/** `pieces` in chunked transfer coding, with the last-chunk. */
export function chunked(pieces: Iterable<Buffer>): Iterable<Buffer> {
  return (function* () {
    for (const p of pieces) yield Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from("\r\n")]);
    yield Buffer.from("0\r\n\r\n");
  })();
}
