// The reference for tests/test_authjs_parity.py: npm next-auth@4.24.15's own
// `NextAuth(options)` API handler behind node:http, as a Next.js pages-router API route
// (pages/api/auth/[...nextauth].js) would run it, with a credentials provider and an email
// provider (magic links; its tokens and users in reference_shared.js, sessions as JWTs).
//
// Environment: PORT (loopback), NEXTAUTH_SECRET, USERS (JSON {username: {id, name, email,
// password, ...}}), and optionally OIDC (JSON {issuer, client_id, client_secret}): an OpenID
// provider "oidc" on that issuer (tests/oidc_server.py's), configured as the Flask app's
// OIDCProvider is (PKCE, state and nonce; scope "openid email profile"). Prints
// "listening <port>" once it accepts connections. GET /__last_link (outside next-auth's
// routes) answers {url}: the last sign-in link the email provider would have sent.
//
// Next.js's part is emulated from next/dist/server/api-utils (req.query with the catch-all
// `nextauth` segments, req.cookies, the body parsed by content type, res.status/json/send
// with Next's Content-Type rules); next-auth's own code answers everything else.
"use strict";
const http = require("node:http");
const querystring = require("node:querystring");
const cookie = require("cookie");
const NextAuth = require("next-auth").default;
const CredentialsProvider = require("next-auth/providers/credentials").default;
const {
  checkPassword,
  jwtWithNameUpdate,
  memoryAdapter,
  recordingEmail,
  userinfoProfile,
} = require("./reference_shared");

const USERS = JSON.parse(process.env.USERS || "{}");
const OIDC = process.env.OIDC ? JSON.parse(process.env.OIDC) : null;
const PREFIX = "/api/auth";

const oidc = OIDC && {
  id: "oidc",
  name: "Test OP",
  type: "oauth",
  wellKnown: `${OIDC.issuer}/.well-known/openid-configuration`,
  clientId: OIDC.client_id,
  clientSecret: OIDC.client_secret,
  authorization: { params: { scope: "openid email profile" } },
  idToken: true,
  checks: ["pkce", "state", "nonce"],
  profile: userinfoProfile(OIDC.issuer),
};

// next-auth/providers/email, without nodemailer: the link is kept, not mailed.
const outbox = { last: null };
const email = recordingEmail(outbox);

const handler = NextAuth({
  secret: process.env.NEXTAUTH_SECRET,
  adapter: memoryAdapter(),
  session: { strategy: "jwt" },
  providers: [
    CredentialsProvider({
      name: "Credentials",
      credentials: { username: { label: "Username" }, password: { label: "Password" } },
      authorize: checkPassword(USERS),
    }),
    email,
    ...(oidc ? [oidc] : []),
  ],
  callbacks: { jwt: jwtWithNameUpdate },
  logger: { error() {}, warn() {}, debug() {} },
});

function parseBody(req, raw) {
  // next/dist/server/api-utils/node/parse-body.js: by Content-Type, text/plain by default.
  const type = (req.headers["content-type"] || "text/plain").split(";")[0].trim().toLowerCase();
  const text = raw.toString("utf8");
  if (type === "application/json" || type === "application/ld+json") {
    if (text.length === 0) return {};
    return JSON.parse(text); // Next answers 400 "Invalid JSON" when this throws
  }
  if (type === "application/x-www-form-urlencoded") return { ...querystring.decode(text) };
  return text;
}

function sendData(res, body) {
  // next/dist/server/api-utils/node.js sendData (without ETags).
  if (body === null || body === undefined) {
    res.end();
    return;
  }
  const jsonLike = ["object", "number", "boolean"].includes(typeof body);
  const text = jsonLike ? JSON.stringify(body) : String(body);
  if (jsonLike) res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    const url = new URL(req.url, "http://internal");
    if (url.pathname === "/__last_link") {
      sendData(res, { url: outbox.last });
      return;
    }
    if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    let body;
    try {
      body = req.method === "GET" || req.method === "HEAD" ? undefined : parseBody(req, Buffer.concat(chunks));
    } catch {
      res.statusCode = 400;
      res.end("Invalid JSON");
      return;
    }
    const segments = url.pathname.slice(PREFIX.length).split("/").filter(Boolean);
    req.query = { ...Object.fromEntries(url.searchParams), nextauth: segments.map(decodeURIComponent) };
    req.cookies = cookie.parse(req.headers.cookie || "");
    req.body = body;
    res.status = (code) => {
      res.statusCode = code;
      return res;
    };
    res.json = (value) => sendData(res, value);
    res.send = (value) => sendData(res, value);
    try {
      await handler(req, res);
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  });
});

server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
