// The v5 reference for tests/test_authjs_parity.py: npm @auth/core@0.41.3's own
// `Auth(request, config)` handler (the core next-auth@5's route handlers call) behind
// node:http, with a credentials provider and an email provider (magic links; its tokens and
// users in ../nextauth_client/reference_shared.js, sessions as JWTs); node's request becomes a Web Request and the Web
// Response is written back, every Set-Cookie header kept.
//
// Environment: PORT (loopback), AUTH_SECRET, USERS (JSON {username: {id, name, email,
// password, ...}}), and optionally OIDC (JSON {issuer, client_id, client_secret}): an OpenID
// provider "oidc" on that issuer (tests/oidc_server.py's), configured as the Flask app's
// OIDCProvider is (PKCE, state and nonce; scope "openid email profile"). Prints
// "listening <port>" once it accepts connections. GET /__last_link (outside Auth.js's
// routes) answers {url}: the last sign-in link the email provider would have sent.
import http from "node:http";
import { Auth } from "@auth/core";
import Credentials from "@auth/core/providers/credentials";
import adapters from "../nextauth_client/reference_shared.js";

const USERS = JSON.parse(process.env.USERS || "{}");
const OIDC = process.env.OIDC ? JSON.parse(process.env.OIDC) : null;
const BASE_PATH = "/api/auth";

const oidc = OIDC && {
  id: "oidc",
  name: "Test OP",
  type: "oidc",
  issuer: OIDC.issuer,
  clientId: OIDC.client_id,
  clientSecret: OIDC.client_secret,
  authorization: { params: { scope: "openid email profile" } },
  checks: ["pkce", "state", "nonce"],
  profile: adapters.userinfoProfile(OIDC.issuer),
};

// @auth/core/providers/email, without nodemailer: the link is kept, not mailed.
const outbox = { last: null };
const email = adapters.recordingEmail(outbox);

const config = {
  secret: process.env.AUTH_SECRET,
  adapter: adapters.memoryAdapter(),
  session: { strategy: "jwt" },
  basePath: BASE_PATH,
  trustHost: true,
  providers: [
    Credentials({
      name: "Credentials",
      credentials: { username: { label: "Username" }, password: { label: "Password" } },
      authorize: adapters.checkPassword(USERS),
    }),
    email,
    ...(oidc ? [oidc] : []),
  ],
  callbacks: { jwt: adapters.jwtWithNameUpdate },
  logger: { error() {}, warn() {}, debug() {} },
};

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === "/__last_link") {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ url: outbox.last }));
      return;
    }
    if (url.pathname !== BASE_PATH && !url.pathname.startsWith(`${BASE_PATH}/`)) {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
    }
    const hasBody = !["GET", "HEAD"].includes(req.method);
    let response;
    try {
      const request = new Request(url, {
        method: req.method,
        headers,
        body: hasBody ? Buffer.concat(chunks) : undefined,
      });
      response = await Auth(request, config);
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
      return;
    }
    res.statusCode = response.status;
    for (const [name, value] of response.headers) {
      if (name.toLowerCase() !== "set-cookie") res.setHeader(name, value);
    }
    const cookies = response.headers.getSetCookie();
    if (cookies.length) res.setHeader("Set-Cookie", cookies);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
});

server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
