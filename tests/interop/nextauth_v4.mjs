// Encode session tokens with the real next-auth v4 (next-auth/jwt), for the Python tests of
// the read-only v4 decoder. next-auth/jwt needs neither next nor react (see .npmrc).
// stdin: a JSON list of requests {op: "encode", token, secret, maxAge?, salt?};
// stdout: a JSON list of results {ok: true, value} or {ok: false, error}.
import { encode } from "next-auth/jwt";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const requests = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = [];
for (const r of requests) {
  try {
    if (r.op !== "encode") throw new Error(`unknown op ${r.op}`);
    const { token, secret, maxAge, salt } = r;
    const value = await encode({ token, secret, maxAge, salt });
    results.push({ ok: true, value });
  } catch (error) {
    results.push({ ok: false, error: String(error) });
  }
}
process.stdout.write(JSON.stringify(results));
