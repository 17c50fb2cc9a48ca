// Encode/decode session tokens with the real Auth.js (@auth/core/jwt), for the Python tests.
// stdin: a JSON list of requests {op: "encode" | "decode", secret, salt, token?, maxAge?};
// stdout: a JSON list of results {ok: true, value} or {ok: false, error}.
import { decode, encode } from "@auth/core/jwt";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const requests = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = [];
for (const r of requests) {
  try {
    const value =
      r.op === "encode"
        ? await encode({ token: r.token, secret: r.secret, salt: r.salt, maxAge: r.maxAge })
        : await decode({ token: r.token, secret: r.secret, salt: r.salt });
    results.push({ ok: true, value });
  } catch (error) {
    results.push({ ok: false, error: String(error) });
  }
}
process.stdout.write(JSON.stringify(results));
