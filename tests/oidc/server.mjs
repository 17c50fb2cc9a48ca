// A real OpenID provider (panva's oidc-provider) on loopback, for the OAuth/OIDC tests.
// env: PORT, OIDC_CLIENTS (JSON list of client metadata), ACCESS_TTL (seconds), OIDC_JWKS
// (a JSON private key set to sign with; restarting with another one is a key rotation),
// REFRESH_EXPIRES_IN (seconds: token responses carrying a refresh token say how long it
// lives, as Keycloak's refresh_expires_in does).
// Test-only controls on the same port: POST /__control?delay=MS (token endpoint delay),
// GET /__stats (token endpoint grants by type, successes and errors).
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || "[]");
const stats = { authorization_code: 0, refresh_token: 0, errors: 0, jwks: 0 };
let tokenDelay = 0;

const provider = new Provider(issuer, {
  clients,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  rotateRefreshToken: true,
  issueRefreshToken: async () => true,
  scopes: ["openid", "offline_access", "email", "profile"],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: `User ${sub}`, email: `${sub}@example.test`, email_verified: true }),
  }),
  ttl: { AccessToken: Number(process.env.ACCESS_TTL || 60), IdToken: 300, RefreshToken: 3600 },
  cookies: { keys: ["oidc-test-cookie-key-0123456789"] },
  ...(process.env.OIDC_JWKS ? { jwks: JSON.parse(process.env.OIDC_JWKS) } : {}),
});

provider.on("grant.success", (ctx) => {
  const type = ctx.oidc.params.grant_type;
  stats[type] = (stats[type] || 0) + 1;
});
provider.on("grant.error", () => { stats.errors += 1; });
provider.on("server_error", (ctx, err) => { console.error("server_error", err); });

provider.use(async (ctx, next) => {
  if (ctx.path === "/__stats") {
    ctx.body = stats;
    return;
  }
  if (ctx.path === "/__control" && ctx.method === "POST") {
    tokenDelay = Number(ctx.query.delay || 0);
    ctx.body = { delay: tokenDelay };
    return;
  }
  if (ctx.path === "/jwks") stats.jwks += 1;
  if (ctx.path === "/token" && tokenDelay) {
    await new Promise((resolve) => setTimeout(resolve, tokenDelay));
  }
  await next();
  const refreshLife = Number(process.env.REFRESH_EXPIRES_IN || 0);
  if (ctx.path === "/token" && refreshLife && ctx.body && ctx.body.refresh_token) {
    ctx.body = { ...ctx.body, refresh_expires_in: refreshLife };
  }
});

const server = provider.listen(port, "127.0.0.1", () => console.log(`READY ${issuer}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
